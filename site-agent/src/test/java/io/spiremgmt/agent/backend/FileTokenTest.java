package io.spiremgmt.agent.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTokenTest {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> API_KEY =
      Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir Path dir;

  @Test
  void sendsAnApiKeyInTheApiKeyHeader() throws Exception {
    // Given a token file holding an API key (as CreateApiKey shows it), with its newline
    Path file = Files.writeString(dir.resolve("agent.token"), "smk_abc-DEF_123\n");

    // When
    Metadata headers = new BackendClient.FileToken(file).headers();

    // Then the backend's API key mechanism finds it, and no bearer token is sent
    assertThat(headers.get(API_KEY)).isEqualTo("smk_abc-DEF_123");
    assertThat(headers.get(AUTHORIZATION)).isNull();
  }

  @Test
  void sendsAJwtAsBearerToken() throws Exception {
    // Given a token file holding a JWT
    Path file = Files.writeString(dir.resolve("agent.token"), "eyJhbGciOi.eyJzdWIi.c2ln\n");

    // When
    Metadata headers = new BackendClient.FileToken(file).headers();

    // Then
    assertThat(headers.get(AUTHORIZATION)).isEqualTo("Bearer eyJhbGciOi.eyJzdWIi.c2ln");
    assertThat(headers.get(API_KEY)).isNull();
  }
}
