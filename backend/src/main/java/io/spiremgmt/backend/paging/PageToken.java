package io.spiremgmt.backend.paging;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.validation.Text;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * An opaque keyset page token: the sort key of the last row served plus a fingerprint of the filter
 * it was issued for. A token presented with another filter, or one that does not decode, is
 * INVALID_PAGE_TOKEN. Tokens carry no secrets and grant nothing: every page is still filtered by
 * the request.
 *
 * @param keys the sort key of the last row served, as strings, in sort order
 */
public record PageToken(List<String> keys) {
  private static final int VERSION = 1;
  private static final int MAX_TOKEN_CHARS = 8192;
  private static final int MAX_KEY = 2048;

  /** Encodes the token for the filter with the given canonical description. */
  public String encode(String filter) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(VERSION);
      out.writeLong(fingerprint(filter));
      out.writeByte(keys.size());
      for (String key : keys) {
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        out.writeShort(utf8.length);
        out.write(utf8);
      }
      return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Decodes {@code token} issued for {@code filter}; an empty token means the first page (null). A
   * token whose key count is not {@code keyCount} is rejected too.
   */
  public static PageToken decode(String token, String filter, int keyCount) {
    if (token == null || token.isEmpty()) {
      return null;
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      throw invalid("is not a page token issued by this service");
    }
    try {
      DataInputStream in =
          new DataInputStream(new ByteArrayInputStream(Base64.getUrlDecoder().decode(token)));
      if (in.readByte() != VERSION) {
        throw invalid("is not a page token issued by this service");
      }
      if (in.readLong() != fingerprint(filter)) {
        throw invalid(
            "was issued for a different filter; repeat the request with the filter of the first page");
      }
      int count = in.readUnsignedByte();
      if (count != keyCount) {
        throw invalid("is not a page token issued by this service");
      }
      List<String> keys = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        byte[] utf8 = new byte[in.readUnsignedShort()];
        in.readFully(utf8);
        String key = new String(utf8, StandardCharsets.UTF_8);
        if (Text.controlCharacterProblem(key) != null || key.length() > MAX_KEY) {
          throw invalidToken();
        }
        keys.add(key);
      }
      if (in.available() != 0) {
        throw invalid("is not a page token issued by this service");
      }
      return new PageToken(List.copyOf(keys));
    } catch (IOException | IllegalArgumentException e) {
      throw invalid("is not a page token issued by this service");
    }
  }

  /**
   * An unambiguous description of a filter for {@link #encode} and {@link #decode}: every part is
   * written with its length, collections element by element, so no two different filters describe
   * alike.
   */
  public static String describe(Object... parts) {
    StringBuilder out = new StringBuilder();
    for (Object part : parts) {
      append(out, part);
    }
    return out.toString();
  }

  private static void append(StringBuilder out, Object part) {
    if (part instanceof Collection<?> items) {
      out.append('[').append(items.size()).append(':');
      items.forEach(item -> append(out, item));
      out.append(']');
    } else {
      String text = String.valueOf(part);
      out.append(text.length()).append(':').append(text).append(';');
    }
  }

  /** The error for a token that is not one this service issued (or that was altered). */
  public static ApiException invalidToken() {
    return invalid("is not a page token issued by this service");
  }

  /** Key {@code i} as a UUID in canonical form; INVALID_PAGE_TOKEN otherwise. */
  public UUID uuidKey(int i) {
    String key = keys.get(i);
    try {
      UUID id = UUID.fromString(key);
      if (!id.toString().equals(key)) {
        throw invalidToken();
      }
      return id;
    } catch (IllegalArgumentException e) {
      throw invalidToken();
    }
  }

  /** Key {@code i} as a long; INVALID_PAGE_TOKEN otherwise. */
  public long longKey(int i) {
    try {
      return Long.parseLong(keys.get(i));
    } catch (NumberFormatException e) {
      throw invalidToken();
    }
  }

  private static long fingerprint(String filter) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(filter.getBytes(StandardCharsets.UTF_8));
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = (value << 8) | (digest[i] & 0xff);
      }
      return value;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ApiException invalid(String why) {
    return ApiException.field(ErrorReason.INVALID_PAGE_TOKEN, "page_token", why);
  }
}
