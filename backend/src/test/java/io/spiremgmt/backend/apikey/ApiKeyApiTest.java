package io.spiremgmt.backend.apikey;

import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.ApiKey;
import io.spiremgmt.api.v1.ApiKeyServiceGrpc;
import io.spiremgmt.api.v1.CreateApiKeyRequest;
import io.spiremgmt.api.v1.CreateApiKeyResponse;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.ListApiKeysRequest;
import io.spiremgmt.api.v1.ListApiKeysResponse;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.RevokeApiKeyRequest;
import io.spiremgmt.api.v1.SiteServiceGrpc;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.ApiKeys;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class ApiKeyApiTest {
  private String admin;

  @BeforeEach
  void setUp() {
    admin = Api.adminToken("key-admin");
  }

  private static WorkloadEntryServiceGrpc.WorkloadEntryServiceBlockingStub entries(String secret) {
    return WorkloadEntryServiceGrpc.newBlockingStub(Api.channel())
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(ApiKeys.header(secret)));
  }

  private static SiteServiceGrpc.SiteServiceBlockingStub sites(Metadata headers) {
    return SiteServiceGrpc.newBlockingStub(Api.channel())
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Test
  void aKeyIsShownOnceStoredOnlyAsAHashAndActsWithItsRoleAndScope() {
    // Given
    String td = Fixtures.trustDomain();
    String site = Fixtures.site(admin, td).getId();
    ApiKey.Builder request = ApiKeys.key("Developer", List.of("payments", "checkout"), "");

    // When
    CreateApiKeyResponse created = ApiKeys.createKey(admin, request);
    Entry entry =
        entries(created.getSecret())
            .createEntry(
                CreateEntryRequest.newBuilder()
                    .setEntry(
                        Entry.newBuilder()
                            .setSpiffeId("spiffe://" + td + "/ns/payments/sa/ci")
                            .setParentId("spiffe://" + td + "/spire/agent/x")
                            .addSelectors(Fixtures.selector("k8s:ns", "payments"))
                            .addSiteIds(site))
                    .build());

    // Then
    String id = created.getApiKey().getId();
    assertThat(created.getSecret()).startsWith("smk_").hasSize(47);
    assertThat(created.getApiKey().getNamespacesList()).containsExactly("checkout", "payments");
    assertThat(created.getApiKey().getCreatedBy()).isEqualTo("key-admin");
    assertThat(entry.getCreatedBy()).isEqualTo("apikey:" + request.getName());
    assertThat(
            DbProbe.queryString(
                "SELECT encode(secret_hash, 'hex') FROM api_keys WHERE id = '" + id + "'"))
        .isEqualTo(HexFormat.of().formatHex(ApiKeySecrets.hash(created.getSecret())));
    // The secret is nowhere in the database, the audit trail included.
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM (SELECT t::text AS row FROM api_keys t UNION ALL"
                    + " SELECT a::text FROM audit_events a) rows WHERE row LIKE '%"
                    + created.getSecret()
                    + "%'"))
        .isZero();
    assertThat(
            DbProbe.queryString(
                "SELECT actor || ' ' || target_type FROM audit_events WHERE action = 'apikey.create'"
                    + " AND target_id = '"
                    + id
                    + "'"))
        .isEqualTo("key-admin apikey");
  }

  @Test
  void aRevokedKeyIsRefusedAtOnceAndRevokingAgainChangesNothing() {
    // Given
    CreateApiKeyResponse created = ApiKeys.createKey(admin, ApiKeys.key("Viewer", List.of(), ""));
    Metadata key = ApiKeys.header(created.getSecret());
    sites(key).listSites(ListSitesRequest.getDefaultInstance());

    // When
    ApiKey revoked =
        ApiKeys.service(admin)
            .revokeApiKey(
                RevokeApiKeyRequest.newBuilder().setId(created.getApiKey().getId()).build());
    Map<String, String> before = DbProbe.snapshot();
    ApiKey again =
        ApiKeys.service(admin)
            .revokeApiKey(
                RevokeApiKeyRequest.newBuilder().setId(created.getApiKey().getId()).build());

    // Then
    assertThat(revoked.getRevokedBy()).isEqualTo("key-admin");
    assertThat(again).isEqualTo(revoked);
    assertThat(DbProbe.snapshot()).isEqualTo(before);
    assertUnauthenticated(key, "API key '" + created.getApiKey().getName() + "' has been revoked");
  }

  @Test
  void expiredUnknownAndMalformedKeysAreRefusedSayingWhy() {
    // Given
    CreateApiKeyResponse created = ApiKeys.createKey(admin, ApiKeys.key("Viewer", List.of(), ""));
    DbProbe.execute(
        "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = '"
            + created.getApiKey().getId()
            + "'");

    // When / Then
    assertUnauthenticated(
        ApiKeys.header(created.getSecret()),
        "API key '" + created.getApiKey().getName() + "' has expired");
    assertUnauthenticated(ApiKeys.header(ApiKeySecrets.generate()), "unknown API key");
    assertUnauthenticated(ApiKeys.header("hunter2"), "the x-api-key value is not an API key");
  }

  private static void assertUnauthenticated(Metadata key, String message) {
    assertThatThrownBy(() -> sites(key).listSites(ListSitesRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
              assertThat(e.getStatus().getDescription()).isEqualTo(message);
            });
  }

  @Test
  void listsKeysWithoutSecretsAcrossPages() {
    // Given
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      created.add(
          ApiKeys.createKey(admin, ApiKeys.key("Viewer", List.of(), "")).getApiKey().getId());
    }

    // When
    List<String> listed = new ArrayList<>();
    String token = "";
    do {
      ListApiKeysResponse page =
          ApiKeys.service(admin)
              .listApiKeys(
                  ListApiKeysRequest.newBuilder().setPageSize(2).setPageToken(token).build());
      page.getApiKeysList().forEach(k -> listed.add(k.getId()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());

    // Then
    assertThat(listed).containsAll(created).doesNotHaveDuplicates().isSorted();
    assertFails(
        () ->
            ApiKeys.service(admin)
                .listApiKeys(ListApiKeysRequest.newBuilder().setPageToken("bogus").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
  }

  static Stream<Arguments> badKeys() {
    Timestamp past = Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond() - 60).build();
    Timestamp tooFar =
        Timestamp.newBuilder()
            .setSeconds(Instant.now().plus(Duration.ofDays(400)).getEpochSecond())
            .build();
    return Stream.of(
        bad("no name", k -> k.setName(""), "MISSING_FIELD", "api_key.name"),
        bad("upper-case name", k -> k.setName("CI-Key"), "INVALID_FIELD", "api_key.name"),
        bad("no role", k -> k.setRole(""), "MISSING_FIELD", "api_key.role"),
        bad("unknown role", k -> k.setRole("root"), "INVALID_FIELD", "api_key.role"),
        bad(
            "Developer without namespaces",
            k -> k.setRole("Developer").clearNamespaces(),
            "MISSING_FIELD",
            "api_key.namespaces"),
        bad(
            "bad namespace",
            k -> k.setRole("Developer").addNamespaces("Not_A_Namespace"),
            "INVALID_FIELD",
            "api_key.namespaces[0]"),
        bad(
            "namespaces for a Viewer",
            k -> k.addNamespaces("payments"),
            "INVALID_FIELD",
            "api_key.namespaces"),
        bad(
            "SiteAgent without site",
            k -> k.setRole("SiteAgent"),
            "MISSING_FIELD",
            "api_key.site_id"),
        bad(
            "SiteAgent with a malformed site",
            k -> k.setRole("SiteAgent").setSiteId("site-1"),
            "INVALID_ID",
            "api_key.site_id"),
        bad(
            "SiteAgent with an unknown site",
            k -> k.setRole("SiteAgent").setSiteId("0190a0a0-0000-7000-8000-000000000000"),
            "SITE_NOT_FOUND",
            "api_key.site_id"),
        bad(
            "site for a Viewer",
            k -> k.setSiteId("0190a0a0-0000-7000-8000-000000000000"),
            "INVALID_FIELD",
            "api_key.site_id"),
        bad("no expiry", ApiKey.Builder::clearExpireTime, "MISSING_FIELD", "api_key.expire_time"),
        bad("expiry passed", k -> k.setExpireTime(past), "INVALID_FIELD", "api_key.expire_time"),
        bad(
            "expiry too far",
            k -> k.setExpireTime(tooFar),
            "INVALID_FIELD",
            "api_key.expire_time"));
  }

  private static Arguments bad(
      String name, UnaryOperator<ApiKey.Builder> change, String reason, String field) {
    return Arguments.of(name, change, reason, field);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badKeys")
  void refusesBadKeysNamingTheFieldAndWritesNothing(
      String name, UnaryOperator<ApiKey.Builder> change, String reason, String field) {
    // Given
    ApiKey.Builder key = change.apply(ApiKeys.key("Viewer", List.of(), ""));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertThatThrownBy(() -> ApiKeys.createKey(admin, key))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(Api.reason(e)).as(e.getStatus().toString()).isEqualTo(reason);
              assertThat(Api.errorInfo(e).getMetadataMap()).containsEntry("field", field);
            });
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void aSecondKeyWithTheSameNameIsRefused() {
    // Given
    ApiKey.Builder key = ApiKeys.key("Viewer", List.of(), "");
    ApiKeys.createKey(admin, key);
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () -> ApiKeys.createKey(admin, key), Status.Code.ALREADY_EXISTS, "API_KEY_NAME_TAKEN");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void anApiKeyCannotCreateApiKeys() {
    // Given
    String adminKey = ApiKeys.create(admin, "Admin", List.of(), "");
    Map<String, String> before = DbProbe.snapshot();
    before.remove("audit_events");

    // When / Then
    assertFails(
        () ->
            ApiKeyServiceGrpc.newBlockingStub(Api.channel())
                .withInterceptors(
                    MetadataUtils.newAttachHeadersInterceptor(ApiKeys.header(adminKey)))
                .createApiKey(
                    CreateApiKeyRequest.newBuilder()
                        .setApiKey(ApiKeys.key("Admin", List.of(), ""))
                        .build()),
        Status.Code.PERMISSION_DENIED,
        "PERMISSION_DENIED");
    Map<String, String> after = DbProbe.snapshot();
    after.remove("audit_events");
    assertThat(after).isEqualTo(before);
  }

  @Test
  void revokingAnUnknownKeyIsNotFound() {
    // Given
    RevokeApiKeyRequest unknown =
        RevokeApiKeyRequest.newBuilder().setId("0190a0a0-0000-7000-8000-000000000000").build();

    // When / Then
    assertFails(
        () -> ApiKeys.service(admin).revokeApiKey(unknown),
        Status.Code.NOT_FOUND,
        "API_KEY_NOT_FOUND");
  }
}
