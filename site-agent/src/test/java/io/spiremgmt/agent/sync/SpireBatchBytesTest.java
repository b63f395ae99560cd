package io.spiremgmt.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.spiremgmt.agent.plan.PlanApplier;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.SpireEntryClient;
import io.spiremgmt.agent.spire.SpireServer;
import io.spiremgmt.agent.spire.TestEntries;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncState;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Large entries against a real spire-server, which reads requests of at most 4 MiB (grpc-go's
 * default): batch writes budgeted by bytes, a batch SPIRE refuses as too large sent again in
 * halves, and an entry SPIRE cannot take at all reported FAILED with {@code ENTRY_TOO_LARGE} while
 * the others sync. The number of writes is counted by the write fence, which is asked before each.
 */
class SpireBatchBytesTest {
  private static final String TD = "batch-bytes.example.org";
  private static final int SPIRE_LIMIT = 4 * 1024 * 1024;
  private static SpireServer server;
  private final AtomicInteger writes = new AtomicInteger();
  private String prefix;

  @BeforeAll
  static void start() throws Exception {
    server = SpireServer.start(TD);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void setUp() {
    prefix = "b" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void entriesTooLargeTogetherForOneRequestAreWrittenInSeveralBatchesAndAllLand() {
    // Given: six entries of about 750 KB, 4.5 MB together (more than SPIRE reads), and a batch
    // size of 100 entries
    SpireEntryClient client = counted(server.client(500, 100, SpireEntryClient.MAX_BATCH_BYTES));
    List<SpireEntry> large = largeEntries(6, 750_000);

    // When
    List<SpireEntryClient.ItemResult> results = client.create(large);

    // Then: each went in a write of its own (two would be over 1 MiB), and SPIRE holds all six
    assertThat(results).hasSize(6).allMatch(SpireEntryClient.ItemResult::ok);
    assertThat(writes).hasValue(6);
    assertThat(ownedIds(client))
        .containsExactlyInAnyOrderElementsOf(large.stream().map(SpireEntry::id).toList());
  }

  @Test
  void aBatchSpireRefusesAsTooLargeIsSentAgainInHalvesUntilEveryEntryLands() {
    // Given: a client whose byte budget is over what SPIRE reads, and six entries of about 750 KB
    SpireEntryClient client = counted(server.client(500, 100, Integer.MAX_VALUE));
    List<SpireEntry> large = largeEntries(6, 750_000);

    // When
    List<SpireEntryClient.ItemResult> results = client.create(large);

    // Then: the whole batch was refused, then each half of three (2.25 MB) was written
    assertThat(results).hasSize(6).allMatch(SpireEntryClient.ItemResult::ok);
    assertThat(results)
        .extracting(SpireEntryClient.ItemResult::id)
        .containsExactlyElementsOf(large.stream().map(SpireEntry::id).toList());
    assertThat(writes).hasValue(3);
    assertThat(ownedIds(client))
        .containsExactlyInAnyOrderElementsOf(large.stream().map(SpireEntry::id).toList());
  }

  @Test
  void anEntrySpireRefusesAsTooLargeIsReportedFailedWithEntryTooLargeAndTheOthersSync() {
    // Given: four ordinary pending entries and, among them, one of about 5 MB, which no request
    // to SPIRE can carry; the client the agent runs with (budgeted batches of 100)
    SpireEntryClient client = counted(server.client(500, 100, SpireEntryClient.MAX_BATCH_BYTES));
    EntryTranslator translator = new EntryTranslator(prefix);
    SiteSync sync = new SiteSync(client, translator, false);
    List<Entry> ordinary = IntStream.range(0, 4).mapToObj(i -> central("/ok-" + i, 0)).toList();
    Entry huge = central("/huge", 5_000_000);
    List<SiteEntry> desired = new ArrayList<>();
    desired.add(pending(ordinary.get(0)));
    desired.add(pending(ordinary.get(1)));
    desired.add(pending(huge));
    desired.add(pending(ordinary.get(2)));
    desired.add(pending(ordinary.get(3)));

    // When
    SpireSync.Reconcile r = sync.reconcile(desired);

    // Then: the huge entry is FAILED with ENTRY_TOO_LARGE and a message naming its size
    SyncResult failed =
        r.results().stream()
            .filter(x -> x.getEntryId().equals(huge.getId()))
            .findFirst()
            .orElseThrow();
    assertThat(failed.getOutcome()).isEqualTo(SyncOutcome.SYNC_OUTCOME_FAILED);
    assertThat(failed.getReason()).isEqualTo(PlanApplier.ENTRY_TOO_LARGE);
    Matcher size = Pattern.compile("the entry is (\\d+) bytes").matcher(failed.getError());
    assertThat(size.find()).as(failed.getError()).isTrue();
    assertThat(Long.parseLong(size.group(1))).isGreaterThan(SPIRE_LIMIT);
    assertThat(failed.getError()).contains("more than the SPIRE server accepts in one request");

    // Then: the four others are SYNCED and in SPIRE, the huge one is not; the mirror is current
    assertThat(r.results())
        .filteredOn(x -> !x.getEntryId().equals(huge.getId()))
        .extracting(x -> x.getEntryId() + " " + x.getOutcome())
        .containsExactlyInAnyOrderElementsOf(
            ordinary.stream().map(e -> e.getId() + " SYNC_OUTCOME_SYNCED").toList());
    assertThat(ownedIds(client))
        .containsExactlyInAnyOrderElementsOf(
            ordinary.stream().map(e -> translator.spireId(e.getId())).toList());
    assertThat(sync.mirrorCurrent()).isTrue();
  }

  /** {@code client}, counting its batch writes in {@link #writes}. */
  private SpireEntryClient counted(SpireEntryClient client) {
    client.fence(
        wanted -> {
          writes.incrementAndGet();
          return wanted;
        });
    return client;
  }

  /** {@code n} SPIRE entries of this test's prefix, each with about {@code bytes} of selectors. */
  private List<SpireEntry> largeEntries(int n, int bytes) {
    return IntStream.range(0, n)
        .mapToObj(
            i ->
                TestEntries.of(
                    prefix + ".large-" + i,
                    "spiffe://" + TD + "/" + prefix + "/large-" + i,
                    "spiffe://" + TD + "/spire/agent/k8s_psat/cluster-1",
                    padding("large-" + i, bytes).stream()
                        .map(s -> new SpireEntry.Selector(s.getType(), s.getValue()))
                        .toList(),
                    600))
        .toList();
  }

  /** A central entry with about {@code bytes} of selectors beyond its service account. */
  private Entry central(String path, int bytes) {
    String name = prefix + path.replace('/', '-');
    return Entry.newBuilder()
        .setId(UUID.randomUUID().toString())
        .setSpiffeId("spiffe://" + TD + "/" + name)
        .setParentId("spiffe://" + TD + "/spire/agent/k8s_psat/cluster-1")
        .addSelectors(Selector.newBuilder().setType("k8s").setValue("sa:" + name))
        .addAllSelectors(padding(name, bytes))
        .setTtl(600)
        .build();
  }

  /** Selectors of 50,000-character values, {@code bytes} of them in all (rounded up). */
  private static List<Selector> padding(String name, int bytes) {
    int chunk = 50_000;
    return IntStream.range(0, (bytes + chunk - 1) / chunk)
        .mapToObj(
            j ->
                Selector.newBuilder()
                    .setType("k8s")
                    .setValue("pod-label:" + name + "-" + j + "-" + "x".repeat(chunk))
                    .build())
        .toList();
  }

  private static SiteEntry pending(Entry e) {
    return SiteEntry.newBuilder()
        .setEntry(e)
        .setRevision(1)
        .setSyncState(SyncState.SYNC_STATE_PENDING)
        .build();
  }

  private List<String> ownedIds(SpireEntryClient client) {
    return client.listAll().stream()
        .map(SpireEntry::id)
        .filter(id -> id.startsWith(prefix + "."))
        .toList();
  }
}
