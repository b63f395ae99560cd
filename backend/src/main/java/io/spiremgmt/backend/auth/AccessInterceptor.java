package io.spiremgmt.backend.auth;

import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import io.spiremgmt.runtime.logging.LogFields;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;
import org.jboss.logging.MDC;

/**
 * Enforces {@link AccessPolicy} on every call: a method without a row is closed PERMISSION_DENIED
 * at once; any other call carries its {@link CallAccess} in the gRPC context, where {@link
 * CallerResolver} decides it once the caller is known. Every call that ends PERMISSION_DENIED (a
 * role, a scope, a batch item is answered separately) is written to the audit trail before the
 * client hears of it.
 */
@ApplicationScoped
@GlobalInterceptor
public class AccessInterceptor implements ServerInterceptor, Prioritized {
  /**
   * Innermost of the three global interceptors, next to the service: it puts the call's method and
   * request in the context the service resolves its caller from, and audits a denial before the
   * outer interceptors ({@code MalformedRequestInterceptor} 200, {@code GrpcMetricsInterceptor}
   * 300) see the call close.
   */
  static final int PRIORITY = 100;

  @Override
  public int getPriority() {
    return PRIORITY;
  }

  /** The current call's method, request and caller. */
  static final Context.Key<CallAccess> CALL = Context.key("spire-mgmt.call-access");

  private final DenialLog denials;

  AccessInterceptor(DenialLog denials) {
    this.denials = denials;
  }

  /** What {@link CallerResolver} needs of the current call, and what a denial is recorded with. */
  static final class CallAccess {
    final String method;
    volatile Message request;
    volatile String caller;

    CallAccess(String method) {
      this.method = method;
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (AccessPolicy.exempt(method)) {
      return next.startCall(call, headers);
    }
    CallAccess access = new CallAccess(method);
    ServerCall<Q, R> audited =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            // The call's caller (put by CallerResolver) names no later line of this context.
            MDC.remove(LogFields.ACTOR);
            if (status.getCode() != Status.Code.PERMISSION_DENIED) {
              super.close(status, trailers);
              return;
            }
            denials
                .record(access.caller, method, status.getDescription())
                .subscribe()
                .with(ok -> super.close(status, trailers), e -> super.close(status, trailers));
          }
        };
    if (!AccessPolicy.hasRow(method)) {
      audited.close(
          Status.PERMISSION_DENIED.withDescription(
              method + " has no authorization rule: denied by default"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    ServerCall.Listener<Q> listener =
        Contexts.interceptCall(Context.current().withValue(CALL, access), audited, headers, next);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        if (message instanceof Message m) {
          access.request = m;
        }
        super.onMessage(message);
      }
    };
  }
}
