package io.spiremgmt.agent.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiffe.bundle.BundleSource;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.exception.BundleNotFoundException;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.spiffeid.TrustDomain;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.svid.x509svid.X509SvidSource;
import io.spiremgmt.agent.spire.SpireServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SVID and bundle files minted by a real SPIRE server, loaded by java-spiffe: loaded once while
 * they stay the same, loaded again when a rotation rewrites them, and a bundle that answers only
 * for its own trust domain.
 */
class SvidFilesTest {
  private static final String TD = "files.example.org";
  private static SpireServer server;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    server = SpireServer.start(TD);
    dir = Files.createTempDirectory("svid-files");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void loadsTheSvidOnceWhileTheFilesStayTheSame() throws Exception {
    // Given
    Path files = dir.resolve("same");
    server.mint("spiffe://" + TD + "/agent/same", files);
    X509SvidSource source = svid(files);

    // When
    X509Svid first = source.getX509Svid();
    X509Svid second = source.getX509Svid();

    // Then
    assertThat(first.getSpiffeId()).isEqualTo(SpiffeId.parse("spiffe://" + TD + "/agent/same"));
    assertThat(second).isSameAs(first);
  }

  @Test
  void loadsTheSvidAgainWhenARotationRewritesTheFiles() throws Exception {
    // Given
    Path files = dir.resolve("rotated");
    server.mint("spiffe://" + TD + "/agent/before", files);
    X509SvidSource source = svid(files);
    X509Svid before = source.getX509Svid();

    // When
    server.mint("spiffe://" + TD + "/agent/after", files);
    X509Svid after = source.getX509Svid();

    // Then
    assertThat(before.getSpiffeId().toString()).isEqualTo("spiffe://" + TD + "/agent/before");
    assertThat(after.getSpiffeId().toString()).isEqualTo("spiffe://" + TD + "/agent/after");
    assertThat(after.getPrivateKey()).isNotEqualTo(before.getPrivateKey());
  }

  @Test
  void aMissingFileFailsWithItsNameAndIsTriedAgainOnTheNextRead() throws Exception {
    // Given
    Path files = dir.resolve("late");
    X509SvidSource source = svid(files);

    // When / Then
    assertThatThrownBy(source::getX509Svid)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(files.resolve("svid.pem").toString());

    // When: the files appear
    server.mint("spiffe://" + TD + "/agent/late", files);

    // Then
    assertThat(source.getX509Svid().getSpiffeId().toString())
        .isEqualTo("spiffe://" + TD + "/agent/late");
  }

  @Test
  void theBundleHoldsTheServersCaAndAnswersOnlyForItsTrustDomain() throws Exception {
    // Given
    Path files = dir.resolve("bundle");
    server.mint("spiffe://" + TD + "/agent/bundle", files);
    BundleSource<X509Bundle> source =
        SvidFiles.bundle(TrustDomain.parse(TD), files.resolve("bundle.pem"));

    // When
    X509Bundle bundle = source.getBundleForTrustDomain(TrustDomain.parse(TD));

    // Then: the CA that signed the minted SVID is in it
    X509Svid svid = svid(files).getX509Svid();
    assertThat(bundle.getTrustDomain().getName()).isEqualTo(TD);
    assertThat(bundle.getX509Authorities())
        .anySatisfy(
            ca ->
                assertThat(ca.getSubjectX500Principal())
                    .isEqualTo(
                        svid.getChain().get(svid.getChain().size() - 1).getIssuerX500Principal()));
    assertThatThrownBy(() -> source.getBundleForTrustDomain(TrustDomain.parse("other.example.org")))
        .isInstanceOf(BundleNotFoundException.class);
  }

  private static X509SvidSource svid(Path files) {
    return SvidFiles.svid(files.resolve("svid.pem"), files.resolve("key.pem"));
  }
}
