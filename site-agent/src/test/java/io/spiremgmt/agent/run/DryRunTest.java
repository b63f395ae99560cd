package io.spiremgmt.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.spiremgmt.agent.spire.TestEntries;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --dry-run} prints one line per change and per unmanaged entry, and its exit code. */
class DryRunTest {
  private final FakeBackend backend = new FakeBackend();
  private final FakeSpireSync spire = new FakeSpireSync();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final DryRun dryRun =
      new DryRun(backend, spire, new PrintStream(out, true, StandardCharsets.UTF_8));

  @Test
  void printsEveryPlannedChangeAndUnmanagedEntryAndSendsNoReport() {
    // Given
    backend.desired(
        List.of(
            SiteEntry.newBuilder()
                .setEntry(Entry.newBuilder().setId("a"))
                .setSyncState(SyncState.SYNC_STATE_PENDING)
                .build()));
    spire.unmanaged(List.of(TestEntries.entry("td.example.org", "hand-made", "/hand/made", 600)));

    // When
    int exit = dryRun.run(500);

    // Then
    assertThat(exit).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8).lines())
        .containsExactly(
            "would create spire-mgmt.a",
            "unmanaged hand-made spiffe://td.example.org/hand/made",
            "dry run: 1 changes, 1 unmanaged entries; nothing was changed");
    assertThat(backend.reportCalls()).isEmpty();
    assertThat(backend.reconcileReports()).isEmpty();
  }

  @Test
  void exitsWithOneWhenTheBackendCannotBeReached() {
    // Given
    backend.down(true);

    // When
    int exit = dryRun.run(500);

    // Then
    assertThat(exit).isEqualTo(1);
    assertThat(spire.reconciles()).isEmpty();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }
}
