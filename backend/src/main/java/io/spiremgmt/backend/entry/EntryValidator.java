package io.spiremgmt.backend.entry;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.validation.Ids;
import io.spiremgmt.backend.validation.SpiffeId;
import io.spiremgmt.backend.validation.Text;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks an entry's content before anything is written. Pure: the rules that need the database
 * (sites exist, are not INACTIVE and serve the entry's trust domain) are {@link EntryService}'s.
 * The first broken rule fails with INVALID_ARGUMENT naming the field.
 */
public final class EntryValidator {
  /** Most selectors per entry. */
  public static final int MAX_SELECTORS = 64;

  /** Most DNS names, sites and federated trust domains per entry, each. */
  public static final int MAX_LIST = 64;

  /** Smallest non-zero TTL, in seconds. */
  public static final int MIN_TTL = 10;

  /** Largest TTL, in seconds (one year). */
  public static final int MAX_TTL = 31_536_000;

  /** Longest selector type. */
  public static final int MAX_SELECTOR_TYPE = 255;

  /** Longest selector value. */
  public static final int MAX_SELECTOR_VALUE = 4096;

  /** Longest hint. */
  public static final int MAX_HINT = 1024;

  /**
   * Largest entry, in bytes of its caller-settable content serialized as an {@code Entry} message
   * (see {@link EntryMapper#content}). What the service adds when it sends the entry (id, revision,
   * times, per-site status) comes on top; the sync answers' byte budgets leave room for it.
   */
  public static final int MAX_ENTRY_BYTES = 32 * 1024;

  private static final Pattern SELECTOR_TYPE =
      Pattern.compile("[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*");
  private static final Pattern DNS_LABEL =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

  private EntryValidator() {}

  /**
   * Validates {@code spec}; field names in errors start with {@code prefix} (e.g. {@code entry.}).
   * The expiry time must lie after {@code now} only when {@code checkExpiry} (on create, or when an
   * update changes it).
   *
   * @return the SPIFFE ID's trust domain, which every assigned site must serve
   */
  public static String validate(EntrySpec spec, String prefix, boolean checkExpiry, Instant now) {
    checks(spec, prefix, checkExpiry, now).forEach(Runnable::run);
    return SpiffeId.parse(spec.spiffeId(), prefix + "spiffe_id").trustDomain();
  }

  /**
   * Every rule {@code spec} breaks as a new entry (what {@link #validate} fails with first, and the
   * rest): the request form shows them all at once.
   */
  public static List<ApiException> problems(EntrySpec spec, String prefix, Instant now) {
    List<ApiException> problems = new ArrayList<>();
    for (Runnable check : checks(spec, prefix, true, now)) {
      try {
        check.run();
      } catch (ApiException e) {
        problems.add(e);
      }
    }
    return problems;
  }

  /** The rules, in the order {@link #validate} checks them; each fails on its own. */
  private static List<Runnable> checks(
      EntrySpec spec, String prefix, boolean checkExpiry, Instant now) {
    return List.of(
        () -> workloadId(spec.spiffeId(), prefix + "spiffe_id"),
        () -> parentId(spec, prefix),
        () -> validateSelectors(spec.selectors(), spec.storeSvid(), prefix + "selectors"),
        () -> validateTtl(spec.ttl(), prefix + "ttl"),
        () -> validateTtl(spec.jwtSvidTtl(), prefix + "jwt_svid_ttl"),
        () -> validateDnsNames(spec.dnsNames(), prefix + "dns_names"),
        () -> validateFederatesWith(spec.federatesWith(), prefix + "federates_with"),
        () -> validateSiteIds(spec.siteIds(), prefix + "site_ids"),
        () -> Text.check(spec.hint(), prefix + "hint", MAX_HINT),
        () -> {
          if (checkExpiry && spec.expiresAt() != null && !spec.expiresAt().isAfter(now)) {
            throw ApiException.field(
                ErrorReason.INVALID_FIELD,
                prefix + "expiry_time",
                "must be in the future (got " + spec.expiresAt() + ")");
          }
        },
        () -> size(spec, prefix));
  }

  private static void workloadId(String spiffeId, String field) {
    SpiffeId id = SpiffeId.parse(spiffeId, field);
    if (id.path().isEmpty()) {
      throw ApiException.field(
          ErrorReason.INVALID_SPIFFE_ID,
          field,
          "invalid SPIFFE ID: a workload ID needs a path (e.g. spiffe://"
              + id.trustDomain()
              + "/my-service)");
    }
    if (id.path().equals("/spire") || id.path().startsWith("/spire/")) {
      throw ApiException.field(
          ErrorReason.INVALID_SPIFFE_ID,
          field,
          "invalid SPIFFE ID: paths under /spire are reserved for SPIRE itself");
    }
  }

  private static void parentId(EntrySpec spec, String prefix) {
    SpiffeId parent = SpiffeId.parse(spec.parentId(), prefix + "parent_id");
    SpiffeId id;
    try {
      id = SpiffeId.parse(spec.spiffeId(), prefix + "spiffe_id");
    } catch (ApiException e) {
      return; // the SPIFFE ID's own check reports it
    }
    if (!parent.trustDomain().equals(id.trustDomain())) {
      throw ApiException.field(
          ErrorReason.INVALID_SPIFFE_ID,
          prefix + "parent_id",
          "trust domain '"
              + parent.trustDomain()
              + "' differs from the SPIFFE ID's '"
              + id.trustDomain()
              + "'; SPIRE requires both in the server's trust domain");
    }
  }

  private static void size(EntrySpec spec, String prefix) {
    int size = EntryMapper.content(spec).getSerializedSize();
    if (size > MAX_ENTRY_BYTES) {
      String field = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
      throw ApiException.field(
          ErrorReason.ENTRY_TOO_LARGE,
          field,
          "the entry is "
              + size
              + " bytes serialized, over the limit of "
              + MAX_ENTRY_BYTES
              + " bytes (32 KiB); use fewer or shorter selectors, DNS names or sites");
    }
  }

  static void validateSelectors(List<SelectorValue> selectors, boolean storeSvid, String field) {
    if (selectors.isEmpty()) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, field, "at least one selector is required");
    }
    if (selectors.size() > MAX_SELECTORS) {
      throw ApiException.field(
          ErrorReason.INVALID_SELECTOR,
          field,
          "at most " + MAX_SELECTORS + " selectors are allowed");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < selectors.size(); i++) {
      SelectorValue s = selectors.get(i);
      String at = field + "[" + i + "]";
      if (s.type().isEmpty()) {
        throw ApiException.field(ErrorReason.INVALID_SELECTOR, at + ".type", "must not be empty");
      }
      if (s.type().length() > MAX_SELECTOR_TYPE || !SELECTOR_TYPE.matcher(s.type()).matches()) {
        throw ApiException.field(
            ErrorReason.INVALID_SELECTOR,
            at + ".type",
            "'"
                + Ids.clip(s.type())
                + "' is not a selector type: use a plugin type of letters, digits, '_', '.', '-', optionally"
                + " followed by ':' and a key (e.g. k8s:ns), at most "
                + MAX_SELECTOR_TYPE
                + " characters");
      }
      if (s.value().isEmpty()) {
        throw ApiException.field(ErrorReason.INVALID_SELECTOR, at + ".value", "must not be empty");
      }
      if (s.value().length() > MAX_SELECTOR_VALUE) {
        throw ApiException.field(
            ErrorReason.INVALID_SELECTOR,
            at + ".value",
            "longer than " + MAX_SELECTOR_VALUE + " characters");
      }
      String control = Text.controlCharacterProblem(s.value());
      if (control != null) {
        throw ApiException.field(ErrorReason.INVALID_SELECTOR, at + ".value", control);
      }
      if (!seen.add(s.canonical())) {
        throw ApiException.field(
            ErrorReason.INVALID_SELECTOR,
            at,
            "duplicate selector '"
                + Ids.clip(s.canonical())
                + "' (selectors are compared as type:value)");
      }
    }
    if (storeSvid && selectors.stream().map(SelectorValue::plugin).distinct().count() > 1) {
      throw ApiException.field(
          ErrorReason.INVALID_SELECTOR,
          field,
          "store_svid requires all selectors to have the same plugin type");
    }
  }

  static void validateTtl(int ttl, String field) {
    if (ttl != 0 && (ttl < MIN_TTL || ttl > MAX_TTL)) {
      throw ApiException.field(
          ErrorReason.INVALID_TTL,
          field,
          "must be 0 (the SPIRE server's default) or between "
              + MIN_TTL
              + " and "
              + MAX_TTL
              + " seconds (got "
              + ttl
              + ")");
    }
  }

  static void validateDnsNames(List<String> names, String field) {
    if (names.size() > MAX_LIST) {
      throw ApiException.field(
          ErrorReason.INVALID_DNS_NAME, field, "at most " + MAX_LIST + " names are allowed");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      String at = field + "[" + i + "]";
      String problem = dnsNameProblem(name);
      if (problem != null) {
        throw ApiException.field(
            ErrorReason.INVALID_DNS_NAME, at, "'" + Ids.clip(name) + "' " + problem);
      }
      if (!seen.add(name.toLowerCase(Locale.ROOT))) {
        throw ApiException.field(
            ErrorReason.INVALID_DNS_NAME, at, "duplicate DNS name '" + name + "'");
      }
    }
  }

  static String dnsNameProblem(String name) {
    if (name.isEmpty()) {
      return "is empty";
    }
    if (name.length() > 253) {
      return "is longer than 253 characters";
    }
    String host = name.startsWith("*.") ? name.substring(2) : name;
    String[] labels = host.split("\\.", -1);
    for (String label : labels) {
      if (!DNS_LABEL.matcher(label).matches()) {
        return "is not a DNS name: each dot-separated label must be 1-63 letters, digits or hyphens, not"
            + " starting or ending with a hyphen (a leading '*.' wildcard is allowed)";
      }
    }
    return null;
  }

  static void validateFederatesWith(List<String> trustDomains, String field) {
    if (trustDomains.size() > MAX_LIST) {
      throw ApiException.field(
          ErrorReason.INVALID_TRUST_DOMAIN,
          field,
          "at most " + MAX_LIST + " trust domains are allowed");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < trustDomains.size(); i++) {
      String td = trustDomains.get(i);
      String problem = SpiffeId.trustDomainProblem(td);
      if (problem != null) {
        throw ApiException.field(
            ErrorReason.INVALID_TRUST_DOMAIN, field + "[" + i + "]", "trust domain " + problem);
      }
      if (!seen.add(td)) {
        throw ApiException.field(
            ErrorReason.INVALID_TRUST_DOMAIN,
            field + "[" + i + "]",
            "duplicate trust domain '" + td + "'");
      }
    }
  }

  static void validateSiteIds(List<String> siteIds, String field) {
    if (siteIds.size() > MAX_LIST) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, field, "at most " + MAX_LIST + " sites are allowed");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < siteIds.size(); i++) {
      String at = field + "[" + i + "]";
      String canonical = Ids.parse(siteIds.get(i), at).toString();
      if (!seen.add(canonical)) {
        throw ApiException.field(ErrorReason.INVALID_FIELD, at, "duplicate site id " + canonical);
      }
    }
  }
}
