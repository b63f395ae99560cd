package io.spiremgmt.agent.backend;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedOutputStream;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.spiremgmt.agent.config.AgentConfig;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.ReportReconcileResponse;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import io.spiremgmt.api.v1.UnmanagedEntry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's reconcile report over real gRPC: a SyncService that records what it receives and, as
 * the backend does, takes messages of at most 4 MiB. How the backend assembles the parts is {@code
 * ReconcileReportPartsTest}'s (backend module).
 */
class BackendClientReconcileTest {
  private static final int BACKEND_MAX_INBOUND = 4 * 1024 * 1024;
  private static final String SITE = "01900000-0000-7000-8000-000000000001";

  private final List<ReportReconcileRequest> received = new ArrayList<>();
  private Server server;
  private BackendClient client;

  @BeforeEach
  void start() throws IOException {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .maxInboundMessageSize(BACKEND_MAX_INBOUND)
            .addService(
                new SyncServiceGrpc.SyncServiceImplBase() {
                  @Override
                  public void reportReconcile(
                      ReportReconcileRequest request,
                      StreamObserver<ReportReconcileResponse> answer) {
                    synchronized (received) {
                      received.add(request);
                    }
                    answer.onNext(ReportReconcileResponse.getDefaultInstance());
                    answer.onCompleted();
                  }
                })
            .build()
            .start();
    client = new BackendClient(backendAt("127.0.0.1:" + server.getPort()), SITE, "agent-a");
  }

  @AfterEach
  void stop() {
    client.close();
    server.shutdownNow();
  }

  @Test
  void aLargeUnmanagedSetIsSentInSeveralPartsEachWithinTheBudgetUnderOneReconcileId() {
    // Given: 1,200 unmanaged entries with long selectors, over 4 MiB together
    List<UnmanagedEntry> unmanaged = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      unmanaged.add(longEntry("u-" + i));
    }
    assertThat(unmanaged.stream().mapToLong(UnmanagedEntry::getSerializedSize).sum())
        .isGreaterThan(BACKEND_MAX_INBOUND);
    String reconcileId = UUID.randomUUID().toString();

    // When
    client.reportReconcile(reconcileId, unmanaged, 7);

    // Then: several parts, each within the budget, every one but the last announcing more
    assertThat(received).hasSizeGreaterThanOrEqualTo(5);
    assertThat(received)
        .allSatisfy(
            part -> {
              assertThat(entryBytes(part)).isLessThanOrEqualTo(ReconcileParts.MAX_PART_BYTES);
              assertThat(part.getSerializedSize()).isLessThan(BACKEND_MAX_INBOUND);
              assertThat(part.getReconcileId()).isEqualTo(reconcileId);
              assertThat(part.getSiteId()).isEqualTo(SITE);
              assertThat(part.getAgentId()).isEqualTo("agent-a");
              assertThat(part.getUnmanagedCount()).isEqualTo(1200);
              assertThat(part.getDriftRepaired()).isEqualTo(7);
            });
    assertThat(received.subList(0, received.size() - 1))
        .allSatisfy(part -> assertThat(part.getMoreParts()).isTrue());
    assertThat(received.get(received.size() - 1).getMoreParts()).isFalse();
    assertThat(received.stream().flatMap(p -> p.getUnmanagedEntriesList().stream()))
        .containsExactlyElementsOf(unmanaged);
  }

  @Test
  void aReportThatFitsOnePartIsOneMessageInTheFormEveryBackendTakes() {
    // Given
    List<UnmanagedEntry> unmanaged = List.of(entry("u-1"), entry("u-2"));

    // When
    client.reportReconcile(UUID.randomUUID().toString(), unmanaged, 0);

    // Then
    assertThat(received).singleElement();
    ReportReconcileRequest only = received.get(0);
    assertThat(only.getReconcileId()).isEmpty();
    assertThat(only.getMoreParts()).isFalse();
    assertThat(only.getUnmanagedEntriesList()).containsExactlyElementsOf(unmanaged);
    assertThat(only.getUnmanagedCount()).isEqualTo(2);
  }

  @Test
  void entriesBeyondTheListingLimitAreCountedButNotListed() {
    // Given
    List<UnmanagedEntry> unmanaged = new ArrayList<>();
    for (int i = 0; i <= ReconcileParts.MAX_UNMANAGED; i++) {
      unmanaged.add(entry("u-" + i));
    }

    // When
    client.reportReconcile(UUID.randomUUID().toString(), unmanaged, 0);

    // Then
    assertThat(received.stream().mapToInt(ReportReconcileRequest::getUnmanagedEntriesCount).sum())
        .isEqualTo(ReconcileParts.MAX_UNMANAGED);
    assertThat(received)
        .allSatisfy(
            part ->
                assertThat(part.getUnmanagedCount()).isEqualTo(ReconcileParts.MAX_UNMANAGED + 1));
  }

  private static long entryBytes(ReportReconcileRequest part) {
    return part.getUnmanagedEntriesList().stream()
        .mapToLong(
            e ->
                CodedOutputStream.computeMessageSize(
                    ReportReconcileRequest.UNMANAGED_ENTRIES_FIELD_NUMBER, e))
        .sum();
  }

  private static UnmanagedEntry entry(String id) {
    return UnmanagedEntry.newBuilder()
        .setSpireEntryId(id)
        .setSpiffeId("spiffe://td.example.org/" + id)
        .setParentId("spiffe://td.example.org/agent")
        .addSelectors("unix:uid:0")
        .build();
  }

  /** About 4 KB: two selectors near the longest the backend takes. */
  private static UnmanagedEntry longEntry(String id) {
    return entry(id).toBuilder()
        .addSelectors("k8s:pod-label:a=" + "a".repeat(2030))
        .addSelectors("k8s:pod-label:b=" + "b".repeat(2030))
        .build();
  }

  private static AgentConfig.Backend backendAt(String address) {
    return new AgentConfig.Backend() {
      @Override
      public String address() {
        return address;
      }

      @Override
      public boolean tls() {
        return false;
      }

      @Override
      public boolean allowPlaintextToken() {
        return false;
      }

      @Override
      public Optional<Path> tokenFile() {
        return Optional.empty();
      }

      @Override
      public Optional<String> spiffeSocket() {
        return Optional.empty();
      }

      @Override
      public Optional<String> spiffeId() {
        return Optional.empty();
      }

      @Override
      public Optional<String> svidSpiffeId() {
        return Optional.empty();
      }
    };
  }
}
