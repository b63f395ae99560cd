package io.spiremgmt.backend.entry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SelectorValueTest {

  @Test
  void canonicalFormIsTypeColonValue() {
    // Given
    SelectorValue selector = new SelectorValue("k8s:ns", "prod");

    // When
    String canonical = selector.canonical();

    // Then
    assertThat(canonical).isEqualTo("k8s:ns:prod");
  }

  @Test
  void bothSpellingsHaveTheSameCanonicalFormAndHash() {
    // Given
    SelectorValue typeWithKey = new SelectorValue("k8s:ns", "prod");
    SelectorValue valueWithKey = new SelectorValue("k8s", "ns:prod");

    // When / Then
    assertThat(typeWithKey.canonical()).isEqualTo(valueWithKey.canonical());
    assertThat(typeWithKey.hash()).isEqualTo(valueWithKey.hash());
    assertThat(typeWithKey.plugin()).isEqualTo(valueWithKey.plugin()).isEqualTo("k8s");
  }

  @Test
  void hashIsHexSha256OfCanonicalForm() {
    // Given
    SelectorValue selector = new SelectorValue("unix", "uid:1000");

    // When
    String hash = selector.hash();

    // Then: sha256("unix:uid:1000")
    assertThat(hash)
        .isEqualTo(SelectorValue.sha256Hex("unix:uid:1000"))
        .hasSize(64)
        .matches("[0-9a-f]{64}");
    assertThat(SelectorValue.sha256Hex("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void differentSelectorsHaveDifferentHashes() {
    // Given
    SelectorValue prod = new SelectorValue("k8s:ns", "prod");
    SelectorValue dev = new SelectorValue("k8s:ns", "dev");

    // When / Then
    assertThat(prod.hash()).isNotEqualTo(dev.hash());
  }

  @ParameterizedTest
  @CsvSource({
    "k8s:ns, prod, k8s",
    "k8s, ns:prod, k8s",
    "k8s:pod-label:app, web, k8s",
    "unix, uid:1000, unix",
    "docker:label, a:b, docker"
  })
  void pluginIsTypeUpToFirstColon(String type, String value, String plugin) {
    // Given
    SelectorValue selector = new SelectorValue(type, value);

    // When / Then
    assertThat(selector.plugin()).isEqualTo(plugin);
  }

  @Test
  void setHashIgnoresOrder() {
    // Given
    List<SelectorValue> one =
        List.of(new SelectorValue("k8s:ns", "prod"), new SelectorValue("k8s:sa", "api"));
    List<SelectorValue> other =
        List.of(new SelectorValue("k8s:sa", "api"), new SelectorValue("k8s:ns", "prod"));

    // When / Then
    assertThat(SelectorValue.setHash(one)).isEqualTo(SelectorValue.setHash(other));
  }

  @Test
  void setHashIgnoresSpelling() {
    // Given
    List<SelectorValue> one =
        List.of(new SelectorValue("k8s:ns", "prod"), new SelectorValue("k8s:sa", "api"));
    List<SelectorValue> other =
        List.of(new SelectorValue("k8s", "sa:api"), new SelectorValue("k8s", "ns:prod"));

    // When / Then
    assertThat(SelectorValue.setHash(one)).isEqualTo(SelectorValue.setHash(other));
  }

  @Test
  void setHashIsSha256OfSortedCanonicalFormsJoinedByNewline() {
    // Given
    List<SelectorValue> selectors =
        List.of(new SelectorValue("k8s:sa", "api"), new SelectorValue("k8s:ns", "prod"));

    // When
    String hash = SelectorValue.setHash(selectors);

    // Then
    assertThat(hash).isEqualTo(SelectorValue.sha256Hex("k8s:ns:prod\nk8s:sa:api"));
  }

  @Test
  void setHashDiffersForDifferentSets() {
    // Given
    List<SelectorValue> one = List.of(new SelectorValue("k8s:ns", "prod"));
    List<SelectorValue> two =
        List.of(new SelectorValue("k8s:ns", "prod"), new SelectorValue("k8s:sa", "api"));

    // When / Then
    assertThat(SelectorValue.setHash(one)).isNotEqualTo(SelectorValue.setHash(two));
  }

  @Test
  void entrySelectorsHashIsTheSetHash() {
    // Given
    EntrySpec spec = spec("spiffe://example.org/api", "spiffe://example.org/node", "prod");

    // When / Then
    assertThat(spec.selectorsHash()).isEqualTo(SelectorValue.setHash(spec.selectors()));
  }

  @Test
  void similarKeyIsEqualForSameIdParentAndSelectorSetInAnyOrderAndSpelling() {
    // Given
    EntrySpec one =
        spec(
            "spiffe://example.org/api",
            "spiffe://example.org/node",
            List.of(new SelectorValue("k8s:ns", "prod"), new SelectorValue("k8s:sa", "api")));
    EntrySpec other =
        spec(
            "spiffe://example.org/api",
            "spiffe://example.org/node",
            List.of(new SelectorValue("k8s", "sa:api"), new SelectorValue("k8s", "ns:prod")));

    // When / Then
    assertThat(one.similarKey()).isEqualTo(other.similarKey()).matches("[0-9a-f]{64}");
  }

  @Test
  void similarKeyDiffersWhenParentDiffers() {
    // Given
    EntrySpec one = spec("spiffe://example.org/api", "spiffe://example.org/node-1", "prod");
    EntrySpec other = spec("spiffe://example.org/api", "spiffe://example.org/node-2", "prod");

    // When / Then
    assertThat(one.similarKey()).isNotEqualTo(other.similarKey());
  }

  @Test
  void similarKeyDiffersWhenSpiffeIdDiffers() {
    // Given
    EntrySpec one = spec("spiffe://example.org/api", "spiffe://example.org/node", "prod");
    EntrySpec other = spec("spiffe://example.org/web", "spiffe://example.org/node", "prod");

    // When / Then
    assertThat(one.similarKey()).isNotEqualTo(other.similarKey());
  }

  @Test
  void similarKeyDiffersWhenSelectorsDiffer() {
    // Given
    EntrySpec one = spec("spiffe://example.org/api", "spiffe://example.org/node", "prod");
    EntrySpec other = spec("spiffe://example.org/api", "spiffe://example.org/node", "dev");

    // When / Then
    assertThat(one.similarKey()).isNotEqualTo(other.similarKey());
  }

  @Test
  void similarKeyIgnoresEverythingButIdParentAndSelectors() {
    // Given
    EntrySpec one = spec("spiffe://example.org/api", "spiffe://example.org/node", "prod");
    EntrySpec other =
        new EntrySpec(
            one.spiffeId(),
            one.parentId(),
            one.selectors(),
            3600,
            List.of("api.example.org"),
            true,
            true,
            null,
            List.of("0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6f"),
            List.of("partner.org"),
            300,
            "hint",
            true);

    // When / Then
    assertThat(one.similarKey()).isEqualTo(other.similarKey());
  }

  @Test
  void siteUuidsParsesSiteIds() {
    // Given
    EntrySpec spec =
        new EntrySpec(
            "spiffe://example.org/api",
            "spiffe://example.org/node",
            List.of(new SelectorValue("k8s:ns", "prod")),
            0,
            List.of(),
            false,
            false,
            null,
            List.of("0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6f"),
            List.of(),
            0,
            "",
            false);

    // When / Then
    assertThat(spec.siteUuids())
        .containsExactly(UUID.fromString("0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6f"));
  }

  private static EntrySpec spec(String spiffeId, String parentId, String namespace) {
    return spec(spiffeId, parentId, List.of(new SelectorValue("k8s:ns", namespace)));
  }

  private static EntrySpec spec(String spiffeId, String parentId, List<SelectorValue> selectors) {
    return new EntrySpec(
        spiffeId, parentId, selectors, 0, List.of(), false, false, null, List.of(), List.of(), 0,
        "", false);
  }
}
