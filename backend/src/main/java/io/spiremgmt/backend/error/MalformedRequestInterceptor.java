package io.spiremgmt.backend.error;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;
import java.util.List;

/**
 * When a unary request's bytes are not a valid message of the RPC's type (truncated, or a string
 * field that is not UTF-8), the transport drops the message and gRPC's unary handler then closes
 * the call with INTERNAL "Half-closed without a request" (or "Invalid protobuf byte sequence").
 * That is the caller's fault: this interceptor answers INVALID_ARGUMENT with our ErrorInfo instead.
 */
@ApplicationScoped
@GlobalInterceptor
public class MalformedRequestInterceptor implements ServerInterceptor, Prioritized {
  /**
   * Between {@code GrpcMetricsInterceptor} (300, outermost) and {@code AccessInterceptor} (100):
   * the status it rewrites is what the metrics count.
   */
  static final int PRIORITY = 200;

  @Override
  public int getPriority() {
    return PRIORITY;
  }

  private static final List<String> MALFORMED =
      List.of("Half-closed without a request", "Invalid protobuf byte sequence");

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    return next.startCall(
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            if (isMalformedRequest(status)) {
              var replaced =
                  GrpcErrorMapper.toStatus(
                      ApiException.of(
                          ErrorReason.INVALID_FIELD,
                          "the request is not a valid "
                              + call.getMethodDescriptor().getFullMethodName()
                              + " message (truncated, or a string field that is not UTF-8)"));
              super.close(replaced.getStatus(), replaced.getTrailers());
              return;
            }
            super.close(status, trailers);
          }
        },
        headers);
  }

  static boolean isMalformedRequest(Status status) {
    String description = status.getDescription();
    return status.getCode() == Status.Code.INTERNAL
        && description != null
        && MALFORMED.stream().anyMatch(description::startsWith);
  }
}
