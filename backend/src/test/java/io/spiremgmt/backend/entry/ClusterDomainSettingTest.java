package io.spiremgmt.backend.entry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The cluster domain setting a Developer's DNS names are checked against. */
class ClusterDomainSettingTest {

  @Test
  void isComparedInLowerCaseWithoutATrailingDot() {
    // Given / When
    String domain = EntryService.clusterDomain("Cluster.Local.");

    // Then
    assertThat(domain).isEqualTo("cluster.local");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", ".", "*.cluster.local", "cluster..local", "clus ter.local", "-x.local"})
  void aValueThatIsNotADnsNameStopsTheStartNamingTheSetting(String configured) {
    // Given: the value (the parameter)

    // When / Then
    assertThatThrownBy(() -> EntryService.clusterDomain(configured))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("spire-mgmt.auth.cluster-domain");
  }
}
