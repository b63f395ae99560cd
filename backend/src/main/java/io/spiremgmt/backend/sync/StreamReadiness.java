package io.spiremgmt.backend.sync;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;

/**
 * gRPC flow control for StreamSyncUpdates. Quarkus subscribes to a service's {@code Multi} with an
 * unbounded demand, so a stream cannot learn from it whether the client reads. This interceptor
 * hands the call's transport readiness ({@link ServerCall#isReady()} and its {@code onReady}
 * signal) to the stream through the gRPC context: the stream fetches from the log only while the
 * transport can take more, so a client that does not read holds at most one batch in the server.
 */
@ApplicationScoped
@GlobalInterceptor
public class StreamReadiness implements ServerInterceptor, Prioritized {
  /** Innermost, inside {@code AccessInterceptor} (100). */
  @Override
  public int getPriority() {
    return 50;
  }

  static final Context.Key<Readiness> READINESS = Context.key("spire-mgmt.stream-readiness");

  /** Whether the call's transport takes more messages, and a hook for when it does again. */
  public static final class Readiness {
    private final ServerCall<?, ?> call;
    private volatile Runnable onReady = () -> {};

    Readiness(ServerCall<?, ?> call) {
      this.call = call;
    }

    /** Whether the transport takes more messages without buffering them. */
    public boolean isReady() {
      return call == null || call.isReady();
    }

    /** Runs {@code r} whenever the transport becomes ready again. */
    public void onReady(Runnable r) {
      onReady = r;
    }

    /** For a stream not started through gRPC: always ready. */
    static Readiness always() {
      return new Readiness(null);
    }
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (!SyncServiceGrpc.getStreamSyncUpdatesMethod()
        .getFullMethodName()
        .equals(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    Readiness readiness = new Readiness(call);
    ServerCall.Listener<ReqT> listener =
        Contexts.interceptCall(
            Context.current().withValue(READINESS, readiness), call, headers, next);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onReady() {
        super.onReady();
        readiness.onReady.run();
      }
    };
  }

  /** The current call's readiness, or always ready outside a StreamSyncUpdates call. */
  public static Readiness current() {
    Readiness r = READINESS.get();
    return r != null ? r : Readiness.always();
  }
}
