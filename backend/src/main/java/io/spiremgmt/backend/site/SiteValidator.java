package io.spiremgmt.backend.site;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.validation.SpiffeId;
import io.spiremgmt.backend.validation.Text;
import java.util.regex.Pattern;

/** Checks a site's content; the rules needing the database are {@link SiteService}'s. */
public final class SiteValidator {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  private SiteValidator() {}

  /** Whether {@code name} is a valid site name. */
  public static boolean isValidName(String name) {
    return NAME.matcher(name).matches();
  }

  /** Fails with INVALID_ARGUMENT naming the first field that breaks a rule. */
  public static void validate(SiteSpec spec) {
    if (spec.name().isEmpty()) {
      throw ApiException.field(ErrorReason.MISSING_FIELD, "site.name", "a name is required");
    }
    if (!NAME.matcher(spec.name()).matches()) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          "site.name",
          "must be 1-63 lower-case letters, digits and hyphens, starting with a letter (e.g. us-east-1)");
    }
    Text.check(spec.region(), "site.region", 100);
    if (spec.trustDomain().isEmpty()) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, "site.trust_domain", "a trust domain is required");
    }
    String problem = SpiffeId.trustDomainProblem(spec.trustDomain());
    if (problem != null) {
      throw ApiException.field(
          ErrorReason.INVALID_TRUST_DOMAIN, "site.trust_domain", "trust domain " + problem);
    }
    if (spec.spireServerAddr().length() > 255) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, "site.spire_server_addr", "longer than 255 characters");
    }
    for (int i = 0; i < spec.spireServerAddr().length(); i++) {
      char ch = spec.spireServerAddr().charAt(i);
      if (ch <= 0x20 || ch == 0x7f) {
        throw ApiException.field(
            ErrorReason.INVALID_FIELD,
            "site.spire_server_addr",
            "must not contain spaces or control characters");
      }
    }
    boolean downstream = spec.tier() == SiteEntity.Tier.DOWNSTREAM;
    if (downstream && spec.parentSiteId() == null) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD,
          "site.parent_site_id",
          "a DOWNSTREAM site needs its UPSTREAM parent site");
    }
    if (!downstream && spec.parentSiteId() != null) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          "site.parent_site_id",
          "only DOWNSTREAM sites have a parent site");
    }
  }
}
