package io.spiremgmt.agent.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.SpireEntryClient;
import io.spiremgmt.agent.spire.SpireServer;
import io.spiremgmt.agent.spire.WriteFence;
import io.spiremgmt.agent.sync.EntryTranslator;
import io.spiremgmt.agent.sync.SiteSync;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncState;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPIRE writes fenced by the site lease, against a real spire-server (batches of 2) and a lease on
 * a fake clock: a write starts only while the lease outlasts it by the margin.
 */
class LeaseFenceTest {
  private static final String TD = "lease-fence.example.org";
  private static SpireServer server;
  private static SpireEntryClient client;

  private final FakeTime time = new FakeTime();
  private final FakeLease lease = new FakeLease(time);
  private final String prefix = "f" + UUID.randomUUID().toString().substring(0, 8);
  private final EntryTranslator translator = new EntryTranslator(prefix);

  @BeforeAll
  static void start() throws Exception {
    server = SpireServer.start(TD);
    client = server.client();
    client.fence(WriteFence.NONE);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aLeaseThatLapsesBetweenPartsStopsTheWritesAndLeavesTheMirrorStale() {
    // Given: a held lease (TTL 15 s: writes get 5 s, and need more than 7.5 s left), six entries
    // to write in parts of two, and four seconds passing with each part
    lease.take();
    client.fence(new LeaseFence(lease));
    SiteSync sync = new SiteSync(client, translator, false);
    List<SiteEntry> desired =
        IntStream.range(0, 6).mapToObj(i -> pending("/w" + i + "-" + prefix)).toList();

    // When / Then: the third part finds 7 s left, and is not written
    try {
      assertThatThrownBy(
              () -> sync.reconcile(desired, 2, part -> time.advance(Duration.ofSeconds(4))))
          .isInstanceOf(WriteFence.Lapsed.class)
          .hasMessageContaining("7000 ms left");
    } finally {
      client.fence(WriteFence.NONE);
    }

    // Then: SPIRE holds only the first two parts; the mirror is not trusted for polled changes
    assertThat(client.listAll().stream().map(SpireEntry::id).filter(id -> id.startsWith(prefix)))
        .hasSize(4);
    assertThat(sync.mirrorCurrent()).isFalse();
    assertThatThrownBy(() -> sync.apply(List.of(EntryChange.getDefaultInstance())))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aWriteGetsAThirdOfTheTtlAsItsDeadlineWhileTheLeaseOutlastsItByHalfAgain() {
    // Given
    lease.take();
    LeaseFence fence = new LeaseFence(lease);

    // When / Then: 15 s left, a 30 s call deadline is cut to 5 s
    assertThat(fence.writeDeadline(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(5));

    // When / Then: 7.6 s left still allows a write; 7.5 s does not; a lost lease never does
    time.advance(Duration.ofMillis(7400));
    assertThat(fence.writeDeadline(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2));
    time.advance(Duration.ofMillis(100));
    assertThatThrownBy(() -> fence.writeDeadline(Duration.ofSeconds(30)))
        .isInstanceOf(WriteFence.Lapsed.class);
    lease.renew();
    lease.lose();
    assertThatThrownBy(() -> fence.writeDeadline(Duration.ofSeconds(30)))
        .isInstanceOf(WriteFence.Lapsed.class)
        .hasMessageContaining("0 ms left");
  }

  private SiteEntry pending(String path) {
    return SiteEntry.newBuilder()
        .setEntry(
            Entry.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setSpiffeId("spiffe://" + TD + path)
                .setParentId("spiffe://" + TD + "/spire/agent/k8s_psat/cluster-1")
                .addSelectors(Selector.newBuilder().setType("k8s").setValue("sa:" + path))
                .setTtl(600))
        .setRevision(1)
        .setSyncState(SyncState.SYNC_STATE_PENDING)
        .build();
  }
}
