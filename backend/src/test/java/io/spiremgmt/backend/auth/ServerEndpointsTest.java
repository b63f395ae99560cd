package io.spiremgmt.backend.auth;

import static org.assertj.core.api.Assertions.assertThat;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.backend.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** gRPC, health and metrics share one port, as Envoy and Kubernetes expect. */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class ServerEndpointsTest {

  @Test
  void servesGrpcHealthHttpHealthAndMetricsOnOnePort() throws Exception {
    // Given
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("localhost", 8081).usePlaintext().build();
    HttpClient http = HttpClient.newHttpClient();

    // When
    HealthCheckResponse grpcHealth =
        HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance());
    HttpResponse<String> ready =
        http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:8081/q/health/ready")).build(),
            HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> metrics =
        http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:8081/q/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    channel.shutdownNow();

    // Then
    assertThat(grpcHealth.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"status\": \"UP\"");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("jvm_memory_used_bytes");
  }
}
