package io.spiremgmt.agent.backend;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.spiffe.provider.SpiffeKeyManager;
import io.spiffe.provider.SpiffeTrustManager;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.DefaultX509Source;
import io.spiffe.workloadapi.X509Source;
import io.spiremgmt.agent.config.AgentConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;

/**
 * The channel to the backend as configured: plaintext, TLS with the JVM's trust store, or mutual
 * TLS 1.3 with the agent's X.509-SVID from the SPIFFE Workload API, accepting only the backend's
 * SPIFFE ID. The SVID and bundle follow the Workload API's rotations, so a rotated SVID is used
 * from the next handshake on without a restart.
 */
public final class BackendChannel implements AutoCloseable {
  private final ManagedChannel channel;
  private final X509Source svids;

  /** Largest answer the agent reads from the backend. */
  public static final int MAX_INBOUND_BYTES = 4 * 1024 * 1024;

  private BackendChannel(ManagedChannel channel, X509Source svids) {
    this.channel = channel;
    this.svids = svids;
  }

  /**
   * Opens the channel {@code config} describes (waiting for the first SVID with mTLS); each call on
   * it is a client span of {@code telemetry} whose context goes to the backend in the call's
   * headers (W3C {@code traceparent}).
   */
  public static BackendChannel open(AgentConfig.Backend config, OpenTelemetry telemetry) {
    // 4 MiB, gRPC's default, set so it stays explicit: the backend budgets every poll answer and
    // desired-state page to about 1 MiB of entries, and each entry to 32 KiB, so none comes near
    // it.
    NettyChannelBuilder builder =
        NettyChannelBuilder.forTarget(config.address())
            .maxInboundMessageSize(MAX_INBOUND_BYTES)
            .intercept(GrpcTelemetry.create(telemetry).newClientInterceptor());
    if (config.spiffeSocket().isEmpty()) {
      if (!config.tls()) {
        builder.usePlaintext();
      }
      return new BackendChannel(builder.build(), null);
    }
    X509Source svids = source(config.spiffeSocket().get(), config.svidSpiffeId().orElse(null));
    SpiffeId backend = SpiffeId.parse(config.spiffeId().orElseThrow());
    try {
      builder.sslContext(
          GrpcSslContexts.forClient()
              .protocols("TLSv1.3")
              .keyManager(new SpiffeKeyManager(svids))
              .trustManager(new SpiffeTrustManager(svids, () -> Set.of(backend)))
              .build());
    } catch (SSLException e) {
      closeQuietly(svids);
      throw new IllegalStateException(
          "cannot set up mutual TLS to the backend: " + e.getMessage(), e);
    }
    return new BackendChannel(builder.build(), svids);
  }

  private static X509Source source(String socket, String wanted) {
    try {
      return DefaultX509Source.newSource(
          DefaultX509Source.X509SourceOptions.builder()
              .spiffeSocketPath(socket)
              .initTimeout(Duration.ofSeconds(30))
              .svidPicker(svids -> pick(svids, wanted))
              .build());
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot get the agent's X.509-SVID from the SPIFFE Workload API at "
              + socket
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The SVID for {@code wanted} (the first when null). */
  static X509Svid pick(List<X509Svid> svids, String wanted) {
    if (wanted == null) {
      return svids.get(0);
    }
    return svids.stream()
        .filter(s -> s.getSpiffeId().toString().equals(wanted))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "the Workload API offers no SVID for "
                        + wanted
                        + " (only "
                        + svids.stream()
                            .map(s -> s.getSpiffeId().toString())
                            .collect(Collectors.joining(", "))
                        + ")"));
  }

  /** The channel. */
  public ManagedChannel channel() {
    return channel;
  }

  @Override
  public void close() {
    closeQuietly(svids);
  }

  private static void closeQuietly(X509Source svids) {
    if (svids != null) {
      try {
        svids.close();
      } catch (IOException e) {
        // closing: nothing left to do
      }
    }
  }
}
