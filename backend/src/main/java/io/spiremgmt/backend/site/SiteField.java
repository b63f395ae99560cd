package io.spiremgmt.backend.site;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The site fields an update mask may name, by their proto field names. */
public enum SiteField {
  NAME("name"),
  REGION("region"),
  TRUST_DOMAIN("trust_domain"),
  SPIRE_SERVER_ADDR("spire_server_addr"),
  STATUS("status"),
  TIER("tier"),
  PARENT_SITE_ID("parent_site_id");

  private final String path;

  SiteField(String path) {
    this.path = path;
  }

  /** The proto field name. */
  public String path() {
    return path;
  }

  /**
   * The fields an update mask names; {@code *} means all; unknown paths are INVALID_UPDATE_MASK.
   */
  public static Set<SiteField> fromMask(List<String> paths) {
    if (paths.isEmpty()) {
      throw ApiException.field(
          ErrorReason.INVALID_UPDATE_MASK,
          "update_mask",
          "the update changes nothing: name the fields to change in update_mask, or set them in site");
    }
    EnumSet<SiteField> fields = EnumSet.noneOf(SiteField.class);
    for (String path : paths) {
      if (path.equals("*")) {
        return EnumSet.allOf(SiteField.class);
      }
      SiteField field =
          Arrays.stream(values())
              .filter(f -> f.path.equals(path))
              .findFirst()
              .orElseThrow(
                  () ->
                      ApiException.field(
                          ErrorReason.INVALID_UPDATE_MASK,
                          "update_mask",
                          "'"
                              + path
                              + "' is not an updatable site field; use one of "
                              + Arrays.stream(values())
                                  .map(SiteField::path)
                                  .collect(Collectors.joining(", "))
                              + " or '*'"));
      fields.add(field);
    }
    return fields;
  }

  /** {@code current} with the masked fields taken from {@code patch}. */
  public static SiteSpec merge(SiteSpec current, SiteSpec patch, Set<SiteField> mask) {
    return new SiteSpec(
        mask.contains(NAME) ? patch.name() : current.name(),
        mask.contains(REGION) ? patch.region() : current.region(),
        mask.contains(TRUST_DOMAIN) ? patch.trustDomain() : current.trustDomain(),
        mask.contains(SPIRE_SERVER_ADDR) ? patch.spireServerAddr() : current.spireServerAddr(),
        mask.contains(STATUS) && patch.status() != null ? patch.status() : current.status(),
        mask.contains(TIER) && patch.tier() != null ? patch.tier() : current.tier(),
        mask.contains(PARENT_SITE_ID) ? patch.parentSiteId() : current.parentSiteId());
  }
}
