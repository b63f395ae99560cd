package io.spiremgmt.backend.error;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.ExceptionHandler;
import io.quarkus.grpc.ExceptionHandlerProvider;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Replaces Quarkus's default gRPC exception mapping (which puts class names and messages of
 * arbitrary exceptions on the wire) with {@link GrpcErrorMapper}.
 */
@ApplicationScoped
public class GrpcExceptionHandlerProvider implements ExceptionHandlerProvider {

  @Override
  public <ReqT, RespT> ExceptionHandler<ReqT, RespT> createHandler(
      ServerCall.Listener<ReqT> listener, ServerCall<ReqT, RespT> call, Metadata metadata) {
    return new Handler<>(listener, call, metadata);
  }

  @Override
  public Throwable transform(Throwable t) {
    return GrpcErrorMapper.toStatus(t);
  }

  private static final Logger LOG = Logger.getLogger(GrpcExceptionHandlerProvider.class);
  private static final String ALREADY_CLOSED = "Trailers already sent";

  private static final class Handler<ReqT, RespT> extends ExceptionHandler<ReqT, RespT> {
    Handler(ServerCall.Listener<ReqT> listener, ServerCall<ReqT, RespT> call, Metadata metadata) {
      super(listener, call, metadata);
    }

    @Override
    protected void handleException(Throwable t, ServerCall<ReqT, RespT> call, Metadata metadata) {
      if (t instanceof IllegalStateException && ALREADY_CLOSED.equals(t.getMessage())) {
        // The transport already answered (e.g. RESOURCE_EXHAUSTED for an oversized message) and
        // gRPC's unary handler tried to close the call a second time; there is nothing left to
        // send.
        LOG.debugf("call already closed by the transport: %s", t.getMessage());
        return;
      }
      StatusRuntimeException status = GrpcErrorMapper.toStatus(t);
      Metadata trailers = status.getTrailers() != null ? status.getTrailers() : new Metadata();
      call.close(status.getStatus(), trailers);
    }
  }
}
