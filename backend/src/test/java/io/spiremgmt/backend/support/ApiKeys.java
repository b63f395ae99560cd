package io.spiremgmt.backend.support;

import com.google.protobuf.Timestamp;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.spiremgmt.api.v1.ApiKey;
import io.spiremgmt.api.v1.ApiKeyServiceGrpc;
import io.spiremgmt.api.v1.CreateApiKeyRequest;
import io.spiremgmt.api.v1.CreateApiKeyResponse;
import io.spiremgmt.api.v1.RevokeApiKeyRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** API keys for tests, created through the real ApiKeyService. */
public final class ApiKeys {
  private ApiKeys() {}

  /** The ApiKeyService stub of {@code adminToken}. */
  public static ApiKeyServiceGrpc.ApiKeyServiceBlockingStub service(String adminToken) {
    return ApiKeyServiceGrpc.newBlockingStub(Api.channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(Api.bearer(adminToken)));
  }

  /** A key valid for a day: its name and role, namespaces and site as given. */
  public static ApiKey.Builder key(String role, List<String> namespaces, String site) {
    Instant expiry = Instant.now().plus(Duration.ofDays(1));
    return ApiKey.newBuilder()
        .setName("key-" + Fixtures.unique())
        .setRole(role)
        .addAllNamespaces(namespaces)
        .setSiteId(site)
        .setExpireTime(Timestamp.newBuilder().setSeconds(expiry.getEpochSecond()));
  }

  /** Creates a key; the whole answer. */
  public static CreateApiKeyResponse createKey(String adminToken, ApiKey.Builder key) {
    return service(adminToken)
        .createApiKey(CreateApiKeyRequest.newBuilder().setApiKey(key).build());
  }

  /** Creates a key; its secret. */
  public static String create(
      String adminToken, String role, List<String> namespaces, String site) {
    return createKey(adminToken, key(role, namespaces, site)).getSecret();
  }

  /** The secret of an Admin key that has been revoked. */
  public static String revoked(String adminToken) {
    CreateApiKeyResponse created = createKey(adminToken, key("Admin", List.of(), ""));
    service(adminToken)
        .revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(created.getApiKey().getId()).build());
    return created.getSecret();
  }

  /** The secret of an Admin key whose expiry has passed (moved into the past in the database). */
  public static String expired(String adminToken) {
    CreateApiKeyResponse created = createKey(adminToken, key("Admin", List.of(), ""));
    DbProbe.execute(
        "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = '"
            + created.getApiKey().getId()
            + "'");
    return created.getSecret();
  }

  /** The metadata that carries an API key. */
  public static Metadata header(String secret) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), secret);
    return headers;
  }
}
