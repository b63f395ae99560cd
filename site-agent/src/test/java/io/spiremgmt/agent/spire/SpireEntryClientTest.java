package io.spiremgmt.agent.spire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SPIRE client against a real spire-server, with page and batch size 2 so page and batch
 * boundaries are crossed; SPIRE's own CLI checks what the server really holds.
 */
class SpireEntryClientTest {
  private static final String TD = "site-a.example.org";
  private static SpireServer server;
  private static SpireEntryClient client;

  @BeforeAll
  static void start() throws Exception {
    server = SpireServer.start(TD);
    client = server.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void createsWithCallerChosenIdsListsUpdatesAndDeletesAcrossBatchesAndPages() throws Exception {
    // Given
    List<SpireEntry> wanted = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      wanted.add(entry("spire-mgmt-test-" + i, "/svc/" + i, 600));
    }

    // When
    List<SpireEntryClient.ItemResult> created = client.create(wanted);

    // Then
    assertThat(created).allMatch(SpireEntryClient.ItemResult::ok).hasSize(5);
    assertThat(created)
        .extracting(SpireEntryClient.ItemResult::id)
        .containsExactly(
            "spire-mgmt-test-0",
            "spire-mgmt-test-1",
            "spire-mgmt-test-2",
            "spire-mgmt-test-3",
            "spire-mgmt-test-4");
    List<SpireEntry> listed = mine(client.listAll());
    assertThat(listed)
        .extracting(SpireEntry::id)
        .containsExactlyInAnyOrder(
            "spire-mgmt-test-0",
            "spire-mgmt-test-1",
            "spire-mgmt-test-2",
            "spire-mgmt-test-3",
            "spire-mgmt-test-4");
    SpireEntry first =
        listed.stream().filter(e -> e.id().equals("spire-mgmt-test-0")).findFirst().orElseThrow();
    assertThat(first.spiffeId()).isEqualTo("spiffe://" + TD + "/svc/0");
    assertThat(first.selectors())
        .containsExactlyInAnyOrder(
            new SpireEntry.Selector("k8s", "ns:payments"),
            new SpireEntry.Selector("k8s", "sa:svc-0"));
    assertThat(first.x509SvidTtl()).isEqualTo(600);
    assertThat(first.dnsNames()).containsExactly("svc-0.payments.svc");
    assertThat(server.cli("entry", "show", "-output", "json"))
        .contains("\"id\":\"spire-mgmt-test-4\"");

    // When: update two, delete three
    List<SpireEntryClient.ItemResult> updated =
        client.update(
            List.of(
                entry("spire-mgmt-test-0", "/svc/0", 900),
                entry("spire-mgmt-test-1", "/svc/1", 900)),
            EnumSet.allOf(EntryField.class));
    List<SpireEntryClient.ItemResult> deleted =
        client.delete(List.of("spire-mgmt-test-2", "spire-mgmt-test-3", "spire-mgmt-test-4"));

    // Then
    assertThat(updated).allMatch(SpireEntryClient.ItemResult::ok);
    assertThat(updated).extracting(r -> r.entry().x509SvidTtl()).containsExactly(900, 900);
    assertThat(deleted).allMatch(SpireEntryClient.ItemResult::ok).hasSize(3);
    assertThat(mine(client.listAll()))
        .extracting(SpireEntry::id)
        .containsExactlyInAnyOrder("spire-mgmt-test-0", "spire-mgmt-test-1");
    String shown = server.cli("entry", "show", "-output", "json");
    assertThat(shown).contains("spire-mgmt-test-0").doesNotContain("spire-mgmt-test-3");
  }

  @Test
  void aMaskedUpdateWritesOnlyTheNamedFields() {
    // Given
    client.create(List.of(entry("spire-mgmt-mask-0", "/masked", 600)));
    SpireEntry changed =
        new SpireEntry(
            "spire-mgmt-mask-0",
            "spiffe://" + TD + "/masked",
            "spiffe://" + TD + "/spire/agent/k8s_psat/cluster-1",
            List.of(
                new SpireEntry.Selector("k8s", "ns:payments"),
                new SpireEntry.Selector("k8s", "sa:masked")),
            1200,
            0,
            List.of("other.payments.svc"),
            List.of(),
            false,
            false,
            0,
            "a new hint",
            false,
            0);

    // When
    List<SpireEntryClient.ItemResult> result =
        client.update(List.of(changed), EnumSet.of(EntryField.X509_SVID_TTL));

    // Then: the TTL changed; the DNS name and hint SPIRE held are kept
    assertThat(result).singleElement().satisfies(r -> assertThat(r.ok()).isTrue());
    SpireEntry stored =
        client.listAll().stream()
            .filter(e -> e.id().equals("spire-mgmt-mask-0"))
            .findFirst()
            .orElseThrow();
    assertThat(stored.x509SvidTtl()).isEqualTo(1200);
    assertThat(stored.dnsNames()).containsExactly("masked.payments.svc");
    assertThat(stored.hint()).isEmpty();
  }

  @Test
  void reportsSimilarEntryAsAlreadyExistsWithTheExistingOneAndUnknownDeleteAsNotFound() {
    // Given
    client.create(List.of(entry("spire-mgmt-similar-a", "/similar", 0)));

    // When
    List<SpireEntryClient.ItemResult> again =
        client.create(List.of(entry("spire-mgmt-similar-b", "/similar", 60)));
    List<SpireEntryClient.ItemResult> missing = client.delete(List.of("spire-mgmt-no-such-entry"));

    // Then
    assertThat(again)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.code()).isEqualTo(6);
              assertThat(r.entry().id()).isEqualTo("spire-mgmt-similar-a");
            });
    assertThat(missing).singleElement().satisfies(r -> assertThat(r.code()).isEqualTo(5));
  }

  /** The entries this test created (the server is shared by the tests of this class). */
  private static List<SpireEntry> mine(List<SpireEntry> all) {
    return all.stream().filter(e -> e.id().startsWith("spire-mgmt-test-")).toList();
  }

  private static SpireEntry entry(String id, String path, int ttl) {
    return TestEntries.entry(TD, id, path, ttl);
  }
}
