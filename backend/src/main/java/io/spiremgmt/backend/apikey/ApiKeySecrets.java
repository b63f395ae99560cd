package io.spiremgmt.backend.apikey;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * API key secrets: {@code smk_} and 32 random bytes (base64url), stored only as their SHA-256. A
 * plain hash suffices because the secret is random with 256 bits of entropy: there is no dictionary
 * to try (a slow password hash protects low-entropy human choices).
 */
public final class ApiKeySecrets {
  private ApiKeySecrets() {}

  /** The prefix of every secret, so scanners can spot leaked ones. */
  public static final String PREFIX = "smk_";

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A new secret. */
  public static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The stored hash of a secret. */
  public static byte[] hash(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code text} has the shape of a secret (checked before any lookup). */
  public static boolean wellFormed(String text) {
    return text.length() == PREFIX.length() + 43
        && text.startsWith(PREFIX)
        && text.substring(PREFIX.length()).chars().allMatch(ApiKeySecrets::base64Url);
  }

  private static boolean base64Url(int c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '_';
  }
}
