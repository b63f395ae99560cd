package io.spiremgmt.backend.sync;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.Fixtures.selector;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.ListSiteEntriesRequest;
import io.spiremgmt.api.v1.ListSiteEntriesResponse;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Poll answers and desired-state pages stay within {@link SyncPollService#MAX_ANSWER_BYTES}, so
 * entries stored before the entry size cap (about 260 KB each) cannot make every answer of a site
 * larger than the agent's 4 MiB inbound limit and stall its sync.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class SyncByteBudgetTest {
  private static final int HUGE_ENTRIES = 17;

  private final String token = Api.adminToken("agent@budget");
  private String td;
  private Site site;
  private Set<String> huge;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    huge = new HashSet<>();
    for (int i = 0; i < HUGE_ENTRIES; i++) {
      huge.add(hugeEntry("/huge-" + i).getId());
    }
  }

  @Test
  void pollAnswersStayWithinTheByteBudgetAndTheRestComeInLaterPolls() {
    // Given: 17 entries of about 260 KB each (over 4 MiB together) due at the site

    // When: the agent polls, reports what it got as SYNCED, and polls again until none is due
    Set<String> delivered = new HashSet<>();
    int answers = 0;
    while (true) {
      PollEntriesResponse answer = poll();
      if (answer.getChangesCount() == 0) {
        break;
      }
      answers++;

      // Then: every answer fits the budget and brings something new
      assertThat(answer.getSerializedSize()).isLessThanOrEqualTo(SyncPollService.MAX_ANSWER_BYTES);
      for (EntryChange change : answer.getChangesList()) {
        assertThat(delivered.add(change.getEntry().getId())).isTrue();
        Fixtures.report(token, site, synced(change.getEntry().getId()));
      }
    }

    // Then: nothing lost, in several answers
    assertThat(delivered).isEqualTo(huge);
    assertThat(answers).isGreaterThan(1);
  }

  @Test
  void desiredStatePagesStayWithinTheByteBudgetAndEveryEntryComesOnce() {
    // Given: the same 17 entries, listed in pages of up to 500

    // When
    List<String> listed = new ArrayList<>();
    int pages = 0;
    String pageToken = "";
    do {
      ListSiteEntriesResponse page =
          Api.sync(token)
              .listSiteEntries(
                  ListSiteEntriesRequest.newBuilder()
                      .setSiteId(site.getId())
                      .setAgentId(Fixtures.AGENT)
                      .setPageSize(500)
                      .setPageToken(pageToken)
                      .build());
      pages++;

      // Then: every page fits the budget and is not empty
      assertThat(page.getSerializedSize()).isLessThanOrEqualTo(SyncPollService.MAX_ANSWER_BYTES);
      assertThat(page.getEntriesCount()).isPositive();
      page.getEntriesList().stream()
          .map(SiteEntry::getEntry)
          .map(Entry::getId)
          .forEach(listed::add);
      pageToken = page.getNextPageToken();
    } while (!pageToken.isEmpty());

    // Then: every entry exactly once, over several pages
    assertThat(listed).doesNotHaveDuplicates();
    assertThat(Set.copyOf(listed)).isEqualTo(huge);
    assertThat(pages).isGreaterThan(1);
  }

  /**
   * An entry with 64 selectors of 4,096 characters: created small (the service now refuses it
   * whole) and grown in the database, as one written before the size cap would be.
   */
  private Entry hugeEntry(String path) {
    Entry.Builder b = entry(td, path, site.getId()).clearSelectors();
    for (int i = 0; i < 64; i++) {
      b.addSelectors(selector("k8s:label", "s" + i));
    }
    Entry created = create(token, b);
    DbProbe.execute(
        "UPDATE workload_entry_selectors SET value = rpad(value, 4096, 'x')"
            + " WHERE workload_entry_id = '"
            + created.getId()
            + "'");
    return created;
  }

  private PollEntriesResponse poll() {
    return Api.sync(token)
        .pollEntries(
            PollEntriesRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .setWait(Duration.newBuilder().setSeconds(0))
                .build());
  }

  private static SyncResult.Builder synced(String entryId) {
    return SyncResult.newBuilder()
        .setEntryId(entryId)
        .setRevision(1)
        .setOutcome(SyncOutcome.SYNC_OUTCOME_SYNCED)
        .setSpireEntryId("spire-mgmt-" + entryId);
  }
}
