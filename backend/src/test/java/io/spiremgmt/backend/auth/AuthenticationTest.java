package io.spiremgmt.backend.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.ListEntriesRequest;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.TestDatabase;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class AuthenticationTest {

  static Stream<Arguments> badTokens() {
    TokenIssuer stranger = new TokenIssuer(TokenIssuer.newKeyPair(), TokenIssuer.DEV_ISSUER);
    TokenIssuer wrongIssuer = TestDatabase.issuer("https://evil.example/", TokenIssuer.AUDIENCE);
    TokenIssuer wrongAudience = TestDatabase.issuer(TokenIssuer.DEV_ISSUER, "another-service");
    String valid = Api.adminToken("mallory");
    return Stream.of(
        Arguments.of("no token", null),
        Arguments.of("not a JWT", "hello"),
        Arguments.of(
            "signed by another key",
            stranger.mint("mallory", List.of("Admin"), Duration.ofMinutes(5))),
        Arguments.of(
            "wrong issuer", wrongIssuer.mint("mallory", List.of("Admin"), Duration.ofMinutes(5))),
        Arguments.of(
            "wrong audience",
            wrongAudience.mint("mallory", List.of("Admin"), Duration.ofMinutes(5))),
        Arguments.of(
            "expired",
            TestDatabase.issuer().mint("mallory", List.of("Admin"), Duration.ofMinutes(-5))),
        Arguments.of("no expiry", signedWithout("exp")),
        Arguments.of("no audience", signedWithout("aud")),
        Arguments.of("no issuer", signedWithout("iss")),
        Arguments.of("no principal name", signedWithout("sub", "upn")),
        Arguments.of(
            "a name posing as an API key",
            TestDatabase.issuer().mint("apikey:ci", List.of("Admin"), Duration.ofMinutes(5))),
        Arguments.of(
            "a name posing as an SVID",
            TestDatabase.issuer()
                .mint("spiffe://prod.test/agent/a", List.of("Admin"), Duration.ofMinutes(5))),
        Arguments.of(
            "unsigned (alg none)",
            valid.substring(0, valid.lastIndexOf('.') + 1).replaceFirst("^[^.]+", NONE_HEADER)),
        Arguments.of(
            "tampered payload",
            valid.substring(0, valid.indexOf('.') + 5)
                + "x"
                + valid.substring(valid.indexOf('.') + 6)));
  }

  private static final String NONE_HEADER =
      Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes());

  /** A token of the test issuer, with the Admin role, lacking {@code claims}. */
  private static String signedWithout(String... claims) {
    JwtClaims c = new JwtClaims();
    c.setIssuer(TokenIssuer.DEV_ISSUER);
    c.setAudience(TokenIssuer.AUDIENCE);
    c.setSubject("mallory");
    c.setClaim("upn", "mallory");
    c.setStringListClaim("groups", List.of("Admin"));
    c.setIssuedAtToNow();
    c.setExpirationTimeMinutesInTheFuture(5);
    for (String claim : claims) {
      c.unsetClaim(claim);
    }
    return TestDatabase.issuer().sign(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void refusesCallsWithoutValidCredentials(String name, String token) {
    // Given: clients that send a missing or bad token (see badTokens)
    var entries = Api.entries(token);
    var sites = Api.sites(token);
    var sync = Api.sync(token);

    // When / Then: unary calls and a long poll are refused
    assertUnauthenticated(() -> entries.listEntries(ListEntriesRequest.getDefaultInstance()));
    assertUnauthenticated(() -> sites.listSites(ListSitesRequest.getDefaultInstance()));
    assertUnauthenticated(() -> sync.pollEntries(PollEntriesRequest.getDefaultInstance()));
  }

  @Test
  void refusesStreamsWithoutCredentials() {
    // Given
    var sync = Api.sync("not-a-token");

    // When / Then: the refusal comes with the stream's first read
    assertUnauthenticated(
        () -> sync.streamSyncUpdates(StreamSyncUpdatesRequest.getDefaultInstance()).hasNext());
  }

  private static void assertUnauthenticated(Runnable call) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
              assertThat(Api.reason(e)).isEqualTo("UNAUTHENTICATED");
              assertThat(e.getStatus().getDescription())
                  .doesNotContain("Exception")
                  .doesNotContain("eyJ");
            });
  }
}
