package io.spiremgmt.backend.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.GetSiteRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.UpdateSiteRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import io.spiremgmt.backend.validation.SpiffeId;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every text field of a site, at exactly its validated maximum length, is stored and read back by
 * CreateSite and UpdateSite, and one character more is INVALID_ARGUMENT naming the field and
 * changes nothing.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class SiteMaxLengthTest {
  private final String admin = Api.adminToken("max-length@sites");

  /**
   * A text field of a site.
   *
   * @param path its proto name (the update mask's path)
   * @param max its longest accepted length
   * @param reason the ErrorInfo reason of one more
   * @param set sets the field to a (unique) value of a given length
   * @param read reads it back
   */
  record TextField(
      String path,
      int max,
      String reason,
      BiFunction<Site.Builder, Integer, Site.Builder> set,
      Function<Site, String> read) {
    @Override
    public String toString() {
      return path;
    }
  }

  static Stream<Arguments> textFields() {
    return Stream.of(
            new TextField(
                "name",
                63,
                "INVALID_FIELD",
                (s, n) -> s.setName(padded("s" + Fixtures.unique(), n)),
                Site::getName),
            new TextField(
                "region",
                100,
                "INVALID_FIELD",
                (s, n) -> s.setRegion(padded("region ", n)),
                Site::getRegion),
            new TextField(
                "trust_domain",
                SpiffeId.MAX_TRUST_DOMAIN,
                "INVALID_TRUST_DOMAIN",
                (s, n) -> s.setTrustDomain(padded("td-" + Fixtures.unique() + ".", n)),
                Site::getTrustDomain),
            new TextField(
                "spire_server_addr",
                255,
                "INVALID_FIELD",
                (s, n) -> s.setSpireServerAddr(padded("spire.example.org:8081/", n)),
                Site::getSpireServerAddr))
        .map(Arguments::of);
  }

  private static String padded(String prefix, int length) {
    return prefix + "a".repeat(length - prefix.length());
  }

  private static Site.Builder site() {
    return Site.newBuilder()
        .setName("s" + Fixtures.unique())
        .setTrustDomain(Fixtures.trustDomain());
  }

  @ParameterizedTest
  @MethodSource("textFields")
  void aTextFieldAtItsMaximumLengthIsStoredAndReadBackAndOneMoreIsInvalid(TextField text) {
    // Given
    Site.Builder longest = text.set().apply(site(), text.max());

    // When: created with the longest value, and another site updated to one
    Site created =
        Api.sites(admin).createSite(CreateSiteRequest.newBuilder().setSite(longest).build());
    Site other =
        Api.sites(admin).createSite(CreateSiteRequest.newBuilder().setSite(site()).build());
    Site updatedTo = text.set().apply(other.toBuilder(), text.max()).build();
    Api.sites(admin)
        .updateSite(
            UpdateSiteRequest.newBuilder()
                .setSite(updatedTo)
                .setUpdateMask(FieldMask.newBuilder().addPaths(text.path()))
                .build());

    // Then
    assertThat(text.read().apply(read(created.getId())))
        .hasSize(text.max())
        .isEqualTo(text.read().apply(longest.build()));
    assertThat(text.read().apply(read(other.getId())))
        .hasSize(text.max())
        .isEqualTo(text.read().apply(updatedTo));

    // When / Then: one more character, on create and on update
    Map<String, String> before = DbProbe.snapshot();
    assertInvalid(
        () ->
            Api.sites(admin)
                .createSite(
                    CreateSiteRequest.newBuilder()
                        .setSite(text.set().apply(site(), text.max() + 1))
                        .build()),
        text.reason(),
        "site." + text.path());
    assertInvalid(
        () ->
            Api.sites(admin)
                .updateSite(
                    UpdateSiteRequest.newBuilder()
                        .setSite(text.set().apply(read(other.getId()).toBuilder(), text.max() + 1))
                        .setUpdateMask(FieldMask.newBuilder().addPaths(text.path()))
                        .build()),
        text.reason(),
        "site." + text.path());
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  private Site read(String id) {
    return Api.sites(admin).getSite(GetSiteRequest.newBuilder().setId(id).build());
  }

  private static void assertInvalid(Runnable call, String reason, String field) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode())
                  .as(e.getStatus().toString())
                  .isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(Api.reason(e)).isEqualTo(reason);
              assertThat(Api.errorInfo(e).getMetadataMap()).containsEntry("field", field);
            });
  }
}
