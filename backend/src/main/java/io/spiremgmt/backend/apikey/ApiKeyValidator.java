package io.spiremgmt.backend.apikey;

import io.spiremgmt.api.v1.ApiKey;
import io.spiremgmt.backend.auth.Role;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.validation.Ids;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/** Checks a CreateApiKey request (pure). */
public final class ApiKeyValidator {
  private ApiKeyValidator() {}

  /** The longest a key may live. */
  public static final Duration MAX_LIFETIME = Duration.ofDays(366);

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  /** Kubernetes namespace names: DNS-1123 labels. */
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  /** The validated key of {@code key}, as of {@code now}. */
  public static ApiKeySpec validate(ApiKey key, Instant now) {
    if (key.getName().isEmpty()) {
      throw ApiException.field(ErrorReason.MISSING_FIELD, "api_key.name", "a key needs a name");
    }
    if (!NAME.matcher(key.getName()).matches()) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          "api_key.name",
          "'"
              + Ids.clip(key.getName())
              + "' is not 1-63 lower-case letters, digits and '-' (starting and ending with a"
              + " letter or digit)");
    }
    Role role =
        Role.fromClaim(key.getRole())
            .orElseThrow(
                () ->
                    ApiException.field(
                        key.getRole().isEmpty()
                            ? ErrorReason.MISSING_FIELD
                            : ErrorReason.INVALID_FIELD,
                        "api_key.role",
                        "the role must be one of Admin, Operator, Developer, Viewer, SiteAgent"));
    List<String> namespaces = namespaces(key, role);
    UUID site = site(key, role);
    if (!key.hasExpireTime()) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD,
          "api_key.expire_time",
          "a key needs an expiry, at most " + MAX_LIFETIME.toDays() + " days ahead");
    }
    Instant expires = ProtoTime.toInstant(key.getExpireTime(), "api_key.expire_time");
    if (!expires.isAfter(now)) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, "api_key.expire_time", "must be in the future");
    }
    if (expires.isAfter(now.plus(MAX_LIFETIME))) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          "api_key.expire_time",
          "must be at most " + MAX_LIFETIME.toDays() + " days ahead");
    }
    return new ApiKeySpec(key.getName(), role, namespaces, site, expires);
  }

  private static List<String> namespaces(ApiKey key, Role role) {
    if (role != Role.DEVELOPER) {
      if (key.getNamespacesCount() > 0) {
        throw ApiException.field(
            ErrorReason.INVALID_FIELD, "api_key.namespaces", "only a Developer key has namespaces");
      }
      return List.of();
    }
    if (key.getNamespacesCount() == 0) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, "api_key.namespaces", "a Developer key needs its namespaces");
    }
    if (key.getNamespacesCount() > 100) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, "api_key.namespaces", "at most 100 namespaces");
    }
    TreeSet<String> sorted = new TreeSet<>();
    for (int i = 0; i < key.getNamespacesCount(); i++) {
      String ns = key.getNamespaces(i);
      if (!NAMESPACE.matcher(ns).matches()) {
        throw ApiException.field(
            ErrorReason.INVALID_FIELD,
            "api_key.namespaces[" + i + "]",
            "'" + Ids.clip(ns) + "' is not a Kubernetes namespace name");
      }
      sorted.add(ns);
    }
    return List.copyOf(sorted);
  }

  private static UUID site(ApiKey key, Role role) {
    if (role != Role.SITE_AGENT) {
      if (!key.getSiteId().isEmpty()) {
        throw ApiException.field(
            ErrorReason.INVALID_FIELD, "api_key.site_id", "only a SiteAgent key has a site");
      }
      return null;
    }
    if (key.getSiteId().isEmpty()) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, "api_key.site_id", "a SiteAgent key needs its site");
    }
    return Ids.parse(key.getSiteId(), "api_key.site_id");
  }
}
