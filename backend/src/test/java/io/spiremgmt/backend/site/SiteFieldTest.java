package io.spiremgmt.backend.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.site.SiteEntity.Status;
import io.spiremgmt.backend.site.SiteEntity.Tier;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SiteFieldTest {
  private static final UUID PARENT = UUID.fromString("0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6f");
  private static final UUID OTHER_PARENT = UUID.fromString("0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e70");

  private static final SiteSpec CURRENT =
      new SiteSpec(
          "us-east-1",
          "US East",
          "example.org",
          "spire-east:8081",
          Status.ACTIVE,
          Tier.DOWNSTREAM,
          PARENT);
  private static final SiteSpec PATCH =
      new SiteSpec(
          "eu-west-1",
          "EU West",
          "example.eu",
          "spire-west:8081",
          Status.MAINTENANCE,
          Tier.UPSTREAM,
          OTHER_PARENT);

  @Test
  void starMeansEveryField() {
    // Given / When
    Set<SiteField> fields = SiteField.fromMask(List.of("*"));

    // Then
    assertThat(fields).isEqualTo(EnumSet.allOf(SiteField.class)).hasSize(7);
  }

  @Test
  void mapsProtoFieldNamesToFields() {
    // Given
    List<String> paths = List.of("name", "spire_server_addr", "parent_site_id");

    // When
    Set<SiteField> fields = SiteField.fromMask(paths);

    // Then
    assertThat(fields)
        .containsExactlyInAnyOrder(
            SiteField.NAME, SiteField.SPIRE_SERVER_ADDR, SiteField.PARENT_SITE_ID);
  }

  @ParameterizedTest
  @ValueSource(strings = {"id", "revision", "create_time", "trustDomain", "Name", "nope"})
  void rejectsUnknownOrOutputOnlyPath(String path) {
    // Given
    List<String> paths = List.of("name", path);

    // When / Then
    assertThatThrownBy(() -> SiteField.fromMask(paths))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_UPDATE_MASK);
              assertThat(e.field()).isEqualTo("update_mask");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "update_mask: '"
                          + path
                          + "' is not an updatable site field; use one of name, region,"
                          + " trust_domain, spire_server_addr, status, tier, parent_site_id or"
                          + " '*'");
            });
  }

  @Test
  void rejectsEmptyMask() {
    // Given
    List<String> paths = List.of();

    // When / Then
    assertThatThrownBy(() -> SiteField.fromMask(paths))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_UPDATE_MASK);
              assertThat(e.field()).isEqualTo("update_mask");
              assertThat(e.getMessage()).contains("the update changes nothing");
            });
  }

  @Test
  void mergeTakesOnlyMaskedFieldsFromPatch() {
    // Given
    Set<SiteField> mask = EnumSet.of(SiteField.REGION, SiteField.STATUS);

    // When
    SiteSpec merged = SiteField.merge(CURRENT, PATCH, mask);

    // Then
    assertThat(merged)
        .isEqualTo(
            new SiteSpec(
                "us-east-1",
                "EU West",
                "example.org",
                "spire-east:8081",
                Status.MAINTENANCE,
                Tier.DOWNSTREAM,
                PARENT));
  }

  @Test
  void mergeWithEveryFieldGivesThePatch() {
    // Given
    Set<SiteField> mask = EnumSet.allOf(SiteField.class);

    // When
    SiteSpec merged = SiteField.merge(CURRENT, PATCH, mask);

    // Then
    assertThat(merged).isEqualTo(PATCH);
  }

  @Test
  void mergeWithEmptyMaskGivesTheCurrentSpec() {
    // Given
    Set<SiteField> mask = EnumSet.noneOf(SiteField.class);

    // When
    SiteSpec merged = SiteField.merge(CURRENT, PATCH, mask);

    // Then
    assertThat(merged).isEqualTo(CURRENT);
  }

  @Test
  void mergeKeepsStatusAndTierWhenPatchLeavesThemUnset() {
    // Given
    SiteSpec patch = new SiteSpec("", "", "", "", null, null, null);
    Set<SiteField> mask = EnumSet.of(SiteField.STATUS, SiteField.TIER);

    // When
    SiteSpec merged = SiteField.merge(CURRENT, patch, mask);

    // Then
    assertThat(merged.status()).isEqualTo(Status.ACTIVE);
    assertThat(merged.tier()).isEqualTo(Tier.DOWNSTREAM);
    assertThat(merged).isEqualTo(CURRENT);
  }

  @Test
  void mergeClearsParentWhenMaskedAndPatchHasNone() {
    // Given
    SiteSpec patch = new SiteSpec("", "", "", "", null, Tier.STANDALONE, null);
    Set<SiteField> mask = EnumSet.of(SiteField.TIER, SiteField.PARENT_SITE_ID);

    // When
    SiteSpec merged = SiteField.merge(CURRENT, patch, mask);

    // Then
    assertThat(merged.tier()).isEqualTo(Tier.STANDALONE);
    assertThat(merged.parentSiteId()).isNull();
    assertThat(merged.name()).isEqualTo("us-east-1");
  }
}
