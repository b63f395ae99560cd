package io.spiremgmt.backend.apikey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.ApiKey;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.CreateApiKeyRequest;
import io.spiremgmt.api.v1.ListApiKeysRequest;
import io.spiremgmt.api.v1.ListApiKeysResponse;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.RevokeApiKeyRequest;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.ApiKeys;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import io.spiremgmt.backend.validation.Ids;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every text field of an API key the service stores (name, namespaces, request ids, and the
 * creating and revoking principal), at exactly its maximum length, is stored and read back, and one
 * character more is refused and changes nothing.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class ApiKeyMaxLengthTest {
  private static String padded(String prefix, int length) {
    return prefix + "a".repeat(length - prefix.length());
  }

  @Test
  void everyTextFieldAtItsMaximumLengthIsStoredAndReadBack() {
    // Given: an Admin whose principal name is as long as accepted, and a Developer key whose name,
    // namespace and request ids are as long as accepted
    String adminName = padded("admin-" + Fixtures.unique() + "-", CallerResolver.MAX_NAME);
    String admin = Api.adminToken(adminName);
    String name = padded("k" + Fixtures.unique(), 63);
    String namespace = padded("ns", 63);
    String requestId = "r".repeat(Ids.MAX_REQUEST_ID);

    // When
    ApiKey created =
        ApiKeys.service(admin)
            .createApiKey(
                CreateApiKeyRequest.newBuilder()
                    .setApiKey(
                        ApiKeys.key("Developer", List.of(namespace), "").setName(name).build())
                    .setRequestId(requestId)
                    .build())
            .getApiKey();
    ApiKeys.service(admin)
        .revokeApiKey(
            RevokeApiKeyRequest.newBuilder()
                .setId(created.getId())
                .setRequestId(requestId)
                .build());

    // Then
    ApiKey read = find(admin, created.getId());
    assertThat(read.getName()).isEqualTo(name);
    assertThat(read.getNamespacesList()).containsExactly(namespace);
    assertThat(read.getCreatedBy()).isEqualTo(adminName);
    assertThat(read.getRevokedBy()).isEqualTo(adminName);
    assertThat(
            Api.audit(admin)
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder()
                        .setTargetType("apikey")
                        .setTargetId(created.getId())
                        .build())
                .getAuditEventsList())
        .extracting(AuditEvent::getRequestId, AuditEvent::getActor)
        .containsOnly(org.assertj.core.groups.Tuple.tuple(requestId, adminName))
        .hasSize(2);
  }

  @Test
  void oneCharacterMoreThanTheMaximumIsInvalidAndChangesNothing() {
    // Given
    String admin = Api.adminToken("max-length@api-keys");
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertInvalid(
        admin,
        ApiKeys.key("Viewer", List.of(), "").setName(padded("k" + Fixtures.unique(), 64)),
        "",
        "api_key.name");
    assertInvalid(
        admin,
        ApiKeys.key("Developer", List.of(padded("ns", 64)), ""),
        "",
        "api_key.namespaces[0]");
    assertInvalid(
        admin,
        ApiKeys.key("Viewer", List.of(), ""),
        "r".repeat(Ids.MAX_REQUEST_ID + 1),
        "request_id");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
    assertThatThrownBy(
            () ->
                ApiKeys.createKey(
                    Api.adminToken(padded("admin-", CallerResolver.MAX_NAME + 1)),
                    ApiKeys.key("Viewer", List.of(), "")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  private static ApiKey find(String admin, String id) {
    String token = "";
    do {
      ListApiKeysResponse page =
          ApiKeys.service(admin)
              .listApiKeys(
                  ListApiKeysRequest.newBuilder().setPageSize(1000).setPageToken(token).build());
      for (ApiKey key : page.getApiKeysList()) {
        if (key.getId().equals(id)) {
          return key;
        }
      }
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    throw new AssertionError("no key " + id);
  }

  private static void assertInvalid(
      String admin, ApiKey.Builder key, String requestId, String field) {
    assertThatThrownBy(
            () ->
                ApiKeys.service(admin)
                    .createApiKey(
                        CreateApiKeyRequest.newBuilder()
                            .setApiKey(key)
                            .setRequestId(requestId)
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode())
                  .as(e.getStatus().toString())
                  .isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(Api.reason(e)).isEqualTo("INVALID_FIELD");
              assertThat(Api.errorInfo(e).getMetadataMap()).containsEntry("field", field);
            });
  }
}
