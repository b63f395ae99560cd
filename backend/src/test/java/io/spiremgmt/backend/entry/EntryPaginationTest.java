package io.spiremgmt.backend.entry;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.Fixtures.selector;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.ListEntriesRequest;
import io.spiremgmt.api.v1.ListEntriesResponse;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.SelectorMatch;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.backend.paging.PageToken;
import io.spiremgmt.backend.site.SiteService;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Keyset pagination across page boundaries, for every filter, with writes between pages. */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class EntryPaginationTest {
  private final String token = Api.adminToken("pager@example.org");
  private String td;
  private Site siteA;
  private Site siteB;
  private List<Entry> all;

  @BeforeEach
  void setUp() {
    // Given: 11 entries in a fresh trust domain; odd ones at site A only, even ones at both sites;
    // every third one has an extra selector; parents alternate.
    td = Fixtures.trustDomain();
    siteA = Fixtures.site(token, td);
    siteB = Fixtures.site(token, td);
    all = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      Entry.Builder e =
          entry(td, "/svc/" + (char) ('a' + (i * 7) % 11) + i, siteA.getId())
              .setParentId("spiffe://" + td + "/node/" + (i % 2));
      if (i % 2 == 0) {
        e.addSiteIds(siteB.getId());
      }
      if (i % 3 == 0) {
        e.addSelectors(selector("k8s:pod-label", "tier:gold"));
      }
      all.add(create(token, e));
    }
  }

  @Test
  void pagesThroughEveryFilterWithoutGapsOrDuplicates() {
    // Given: the entries of two sites made before each test (all)

    // When / Then: each filter, read page by page, gives exactly the entries it matches
    assertPagesMatch(r -> r.setSiteId(siteA.getId()), all);
    assertPagesMatch(r -> r.setSiteId(siteB.getId()), filter(e -> e.getSiteIdsCount() == 2));
    assertPagesMatch(
        r -> r.setSiteId(siteB.getId()).setSyncState(SyncState.SYNC_STATE_PENDING),
        filter(e -> e.getSiteIdsCount() == 2));
    assertPagesMatch(r -> r.setSpiffeIdPrefix("spiffe://" + td + "/svc/"), all);
    assertPagesMatch(r -> r.setSpiffeId(all.get(4).getSpiffeId()), List.of(all.get(4)));
    assertPagesMatch(
        r -> r.setParentId("spiffe://" + td + "/node/1"),
        filter(e -> e.getParentId().endsWith("/node/1")));
    assertPagesMatch(
        r ->
            r.setSpiffeIdPrefix("spiffe://" + td + "/")
                .addSelectors(selector("k8s:pod-label", "tier:gold")),
        filter(e -> e.getSelectorsCount() == 3));
    assertPagesMatch(
        r ->
            r.setSiteId(siteA.getId())
                .addSelectors(selector("k8s", "ns:payments"))
                .setSelectorMatch(SelectorMatch.SELECTOR_MATCH_SUPERSET),
        all);
    assertPagesMatch(
        r ->
            r.setSpiffeIdPrefix("spiffe://" + td + "/")
                .addAllSelectors(all.get(0).getSelectorsList())
                .setSelectorMatch(SelectorMatch.SELECTOR_MATCH_EXACT),
        List.of(all.get(0)));
    assertPagesMatch(
        r ->
            r.setSiteId(siteA.getId())
                .addAllSelectors(all.get(1).getSelectorsList())
                .addSelectors(selector("k8s:pod-label", "tier:gold"))
                .addSelectors(selector("k8s:sa", "unrelated"))
                .setSelectorMatch(SelectorMatch.SELECTOR_MATCH_SUBSET),
        List.of(all.get(1)));
    assertPagesMatch(
        r -> r.setSiteId(siteA.getId()).setSyncState(SyncState.SYNC_STATE_SYNCED), List.of());
  }

  @Test
  void seesEntriesCreatedAfterTheCursorAndNeverRepeatsOrSkipsSurvivors() {
    // Given
    ListEntriesRequest.Builder request =
        ListEntriesRequest.newBuilder().setSiteId(siteA.getId()).setPageSize(4);
    ListEntriesResponse first = Api.entries(token).listEntries(request.build());
    Set<String> seen = new HashSet<>();
    first.getEntriesList().forEach(e -> seen.add(e.getId()));

    // When: between pages, one unseen entry is deleted and a new one is created
    Entry unseen = all.get(all.size() - 1);
    Api.entries(token).deleteEntry(DeleteEntryRequest.newBuilder().setId(unseen.getId()).build());
    Entry late = create(token, entry(td, "/svc/late", siteA.getId()));
    String token2 = first.getNextPageToken();
    List<Entry> rest = new ArrayList<>();
    while (!token2.isEmpty()) {
      ListEntriesResponse page =
          Api.entries(token).listEntries(request.setPageToken(token2).build());
      rest.addAll(page.getEntriesList());
      token2 = page.getNextPageToken();
    }

    // Then: every entry that existed throughout appears exactly once; the created one appears (ids
    // grow with time); the deleted one is still listed, since it is DELETING at its site until the
    // agent confirms
    rest.forEach(e -> assertThat(seen.add(e.getId())).as("duplicate %s", e.getId()).isTrue());
    assertThat(seen).containsAll(all.stream().map(Entry::getId).toList());
    assertThat(seen).contains(late.getId());
    assertThat(rest)
        .filteredOn(e -> e.getId().equals(unseen.getId()))
        .singleElement()
        .satisfies(e -> assertThat(e.hasDeleteTime()).isTrue());
  }

  @Test
  void purgedEntriesDisappearFromLaterPages() {
    // Given: entries without sites are purged at once by DeleteEntry
    String prefix = "spiffe://" + td + "/nosite/";
    List<Entry> noSite = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      noSite.add(create(token, entry(td, "/nosite/" + i)));
    }
    ListEntriesRequest.Builder request =
        ListEntriesRequest.newBuilder().setSpiffeIdPrefix(prefix).setPageSize(2);
    ListEntriesResponse first = Api.entries(token).listEntries(request.build());

    // When
    Api.entries(token)
        .deleteEntry(DeleteEntryRequest.newBuilder().setId(noSite.get(3).getId()).build());
    List<String> ids = new ArrayList<>(first.getEntriesList().stream().map(Entry::getId).toList());
    String next = first.getNextPageToken();
    while (!next.isEmpty()) {
      ListEntriesResponse page = Api.entries(token).listEntries(request.setPageToken(next).build());
      page.getEntriesList().forEach(e -> ids.add(e.getId()));
      next = page.getNextPageToken();
    }

    // Then
    assertThat(ids)
        .containsExactly(
            noSite.get(0).getId(),
            noSite.get(1).getId(),
            noSite.get(2).getId(),
            noSite.get(4).getId());
  }

  @Test
  void ordersBySpiffeIdThenIdAcrossPagesEvenWhenSpiffeIdsRepeat() {
    // Given: five entries sharing one SPIFFE ID (different parents) and three with other IDs
    String shared = "/shared/workload";
    List<Entry> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      created.add(
          create(
              token,
              entry(td, shared, siteA.getId())
                  .setParentId("spiffe://" + td + "/node/shared-" + i)));
    }
    created.add(create(token, entry(td, "/shared/a", siteA.getId())));
    created.add(create(token, entry(td, "/shared/z", siteA.getId())));
    created.add(create(token, entry(td, "/shared/workload2", siteA.getId())));
    List<String> expected =
        created.stream()
            .sorted(
                Comparator.comparing(Entry::getSpiffeId)
                    .thenComparing(
                        e -> UUID.fromString(e.getId()), EntryPaginationTest::compareUnsigned))
            .map(Entry::getId)
            .toList();

    // When
    List<String> byPrefix = collect(r -> r.setSpiffeIdPrefix("spiffe://" + td + "/shared/"), 2);
    List<String> exact = collect(r -> r.setSpiffeId("spiffe://" + td + shared), 2);

    // Then
    assertThat(byPrefix).containsExactlyElementsOf(expected);
    assertThat(exact).containsExactlyElementsOf(expected.subList(1, 6));
  }

  @Test
  void listsByIdInCreationOrderWithoutFilters() {
    // Given: the entries of this test's site were created in order
    List<String> expected = all.stream().map(Entry::getId).toList();

    // When
    List<String> listed = collect(r -> r.setSiteId(siteA.getId()), 4);

    // Then
    assertThat(listed).containsExactlyElementsOf(expected);
  }

  @Test
  void rejectsForgedPageTokens() {
    // Given: tokens bound to the right filter but carrying keys this service never issues
    String prefixFilter =
        new EntryFilter(
                null,
                List.of(),
                EntryFilter.SelectorMatch.SUPERSET,
                null,
                "spiffe://x/",
                null,
                null,
                null)
            .canonical();
    String nulKey = new PageToken(List.of("\u0000", "x")).encode(prefixFilter);
    String badId = new PageToken(List.of("spiffe://x/a", "not-a-uuid")).encode(prefixFilter);
    String badName = new PageToken(List.of("Bad Name")).encode(SiteService.listFilter(null, null));

    // When / Then
    for (String forged : List.of(nulKey, badId)) {
      assertFails(
          () ->
              Api.entries(token)
                  .listEntries(
                      ListEntriesRequest.newBuilder()
                          .setSpiffeIdPrefix("spiffe://x/")
                          .setPageToken(forged)
                          .build()),
          Status.Code.INVALID_ARGUMENT,
          "INVALID_PAGE_TOKEN");
    }
    assertFails(
        () ->
            Api.sites(token).listSites(ListSitesRequest.newBuilder().setPageToken(badName).build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
  }

  private static int compareUnsigned(UUID a, UUID b) {
    int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
    return high != 0
        ? high
        : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  }

  /** Every page of a listing; asserts no page exceeds {@code size} and that paging ends. */
  private List<String> collect(UnaryOperator<ListEntriesRequest.Builder> filter, int size) {
    List<String> ids = new ArrayList<>();
    String next = "";
    int pages = 0;
    do {
      ListEntriesResponse page =
          Api.entries(token)
              .listEntries(
                  filter
                      .apply(ListEntriesRequest.newBuilder())
                      .setPageSize(size)
                      .setPageToken(next)
                      .build());
      assertThat(page.getEntriesCount()).isLessThanOrEqualTo(size);
      page.getEntriesList().forEach(e -> ids.add(e.getId()));
      next = page.getNextPageToken();
      assertThat(++pages).as("paging must end").isLessThan(1000);
    } while (!next.isEmpty());
    return ids;
  }

  @Test
  void rejectsForeignGarbageAndNegativePaging() {
    // Given
    ListEntriesResponse page =
        Api.entries(token)
            .listEntries(
                ListEntriesRequest.newBuilder().setSiteId(siteA.getId()).setPageSize(2).build());

    // When / Then
    assertFails(
        () ->
            Api.entries(token)
                .listEntries(
                    ListEntriesRequest.newBuilder()
                        .setSiteId(siteB.getId())
                        .setPageToken(page.getNextPageToken())
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
    assertFails(
        () ->
            Api.entries(token)
                .listEntries(ListEntriesRequest.newBuilder().setPageToken("not-a-token!").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
    assertFails(
        () ->
            Api.entries(token).listEntries(ListEntriesRequest.newBuilder().setPageSize(-1).build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_SIZE");
    assertFails(
        () ->
            Api.entries(token)
                .listEntries(ListEntriesRequest.newBuilder().setSpiffeIdPrefix("http://x").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_SPIFFE_ID");
    assertFails(
        () ->
            Api.entries(token).listEntries(ListEntriesRequest.newBuilder().setSiteId("x").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_ID");
  }

  private List<Entry> filter(Predicate<Entry> p) {
    return all.stream().filter(p).toList();
  }

  /**
   * Pages with sizes 1, 2 and 3: the concatenated pages equal the expected set, each entry once.
   */
  private void assertPagesMatch(
      UnaryOperator<ListEntriesRequest.Builder> filter, List<Entry> expected) {
    Set<String> expectedIds = new HashSet<>(expected.stream().map(Entry::getId).toList());
    for (int size = 1; size <= 3; size++) {
      List<String> ids = collect(filter, size);
      assertThat(ids).doesNotHaveDuplicates();
      assertThat(new HashSet<>(ids)).as("page size %d", size).isEqualTo(expectedIds);
    }
  }
}
