package io.spiremgmt.backend.validation;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.nio.charset.StandardCharsets;

/**
 * A SPIFFE ID checked against the SPIFFE ID specification: {@code spiffe://} (lower case), a trust
 * domain of {@code [a-z0-9._-]}, and a path of {@code /segment} parts of {@code [A-Za-z0-9._-]}
 * with no empty, {@code .} or {@code ..} segment and no trailing slash; no port, user info, query,
 * fragment or percent-encoding; at most 2048 bytes.
 *
 * @param trustDomain the trust domain name
 * @param path the path, empty or starting with {@code /}
 */
public record SpiffeId(String trustDomain, String path) {
  /** Longest SPIFFE ID accepted, in bytes (the spec's limit). */
  public static final int MAX_BYTES = 2048;

  /** Longest trust domain name accepted. */
  public static final int MAX_TRUST_DOMAIN = 255;

  private static final String SCHEME = "spiffe://";

  /**
   * Parses {@code value}, failing with INVALID_SPIFFE_ID naming {@code field} and the broken rule.
   */
  public static SpiffeId parse(String value, String field) {
    if (value == null || value.isEmpty()) {
      throw ApiException.field(ErrorReason.MISSING_FIELD, field, "a SPIFFE ID is required");
    }
    if (value.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw invalid(field, "longer than " + MAX_BYTES + " bytes");
    }
    if (!value.startsWith(SCHEME)) {
      throw invalid(field, "must start with 'spiffe://' (lower case)");
    }
    String rest = value.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    String trustDomain = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash);
    String tdProblem = trustDomainProblem(trustDomain);
    if (tdProblem != null) {
      throw invalid(field, "trust domain " + tdProblem);
    }
    if (!path.isEmpty()) {
      String[] segments = path.substring(1).split("/", -1);
      for (int i = 0; i < segments.length; i++) {
        String segment = segments[i];
        int n = i + 1;
        if (segment.isEmpty()) {
          throw invalid(
              field,
              i == segments.length - 1
                  ? "path must not end with '/'"
                  : "path segment " + n + " is empty ('//')");
        }
        if (segment.equals(".") || segment.equals("..")) {
          throw invalid(field, "path segment " + n + " is '" + segment + "', which is not allowed");
        }
        for (int c = 0; c < segment.length(); c++) {
          char ch = segment.charAt(c);
          if (!isPathChar(ch)) {
            throw invalid(
                field,
                "path segment "
                    + n
                    + " has the character "
                    + describe(ch)
                    + "; only letters, digits, '.', '-' and '_' are allowed");
          }
        }
      }
    }
    return new SpiffeId(trustDomain, path);
  }

  /**
   * Why {@code name} is not a valid trust domain name, or null if it is. Used for site trust
   * domains and {@code federates_with} too.
   */
  public static String trustDomainProblem(String name) {
    if (name.isEmpty()) {
      return "is empty";
    }
    if (name.length() > MAX_TRUST_DOMAIN) {
      return "is longer than " + MAX_TRUST_DOMAIN + " characters";
    }
    for (int i = 0; i < name.length(); i++) {
      char ch = name.charAt(i);
      boolean ok =
          (ch >= 'a' && ch <= 'z')
              || (ch >= '0' && ch <= '9')
              || ch == '.'
              || ch == '-'
              || ch == '_';
      if (!ok) {
        return "'"
            + name
            + "' has the character "
            + describe(ch)
            + "; only lower-case letters, digits, '.', '-' and '_' are allowed";
      }
    }
    return null;
  }

  /** The ID as a string. */
  @Override
  public String toString() {
    return SCHEME + trustDomain + path;
  }

  private static boolean isPathChar(char ch) {
    return (ch >= 'a' && ch <= 'z')
        || (ch >= 'A' && ch <= 'Z')
        || (ch >= '0' && ch <= '9')
        || ch == '.'
        || ch == '-'
        || ch == '_';
  }

  static String describe(char ch) {
    if (ch < 0x20 || ch == 0x7f || ch > 0x7e) {
      return String.format("U+%04X", (int) ch);
    }
    return "'" + ch + "'";
  }

  private static ApiException invalid(String field, String why) {
    return ApiException.field(ErrorReason.INVALID_SPIFFE_ID, field, "invalid SPIFFE ID: " + why);
  }
}
