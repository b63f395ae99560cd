package io.spiremgmt.backend.metrics;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;

/**
 * The seed's request metrics for every gRPC call: {@code grpc_requests_total{method,status}} and
 * the {@code grpc_request_duration_seconds{method}} histogram (a stream counts until it closes).
 */
@ApplicationScoped
@GlobalInterceptor
public class GrpcMetricsInterceptor implements ServerInterceptor, Prioritized {
  /**
   * Outermost of the three global interceptors (Quarkus calls the highest priority first): it
   * counts each call with the status the client finally sees, after {@code
   * MalformedRequestInterceptor} (200) and {@code AccessInterceptor} (100) have had their say.
   */
  static final int PRIORITY = 300;

  @Override
  public int getPriority() {
    return PRIORITY;
  }

  private final MeterRegistry registry;

  GrpcMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Timer.Sample sample = Timer.start(registry);
    ServerCall<Q, R> counted =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            Counter.builder("grpc_requests")
                .description("gRPC calls by method and final status code")
                .tags("method", method, "status", status.getCode().name())
                .register(registry)
                .increment();
            sample.stop(
                Timer.builder("grpc_request_duration")
                    .description("gRPC call duration by method")
                    .tags("method", method)
                    .publishPercentileHistogram()
                    .register(registry));
            super.close(status, trailers);
          }
        };
    return next.startCall(counted, headers);
  }
}
