package io.spiremgmt.backend.entry;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The entry fields an update mask may name, by their proto field names. */
public enum EntryField {
  SPIFFE_ID("spiffe_id"),
  PARENT_ID("parent_id"),
  SELECTORS("selectors"),
  TTL("ttl"),
  DNS_NAMES("dns_names"),
  ADMIN("admin"),
  DOWNSTREAM("downstream"),
  EXPIRY_TIME("expiry_time"),
  SITE_IDS("site_ids"),
  FEDERATES_WITH("federates_with"),
  JWT_SVID_TTL("jwt_svid_ttl"),
  HINT("hint"),
  STORE_SVID("store_svid");

  private static final Map<String, EntryField> BY_PATH =
      Arrays.stream(values()).collect(Collectors.toMap(f -> f.path, Function.identity()));

  private final String path;

  EntryField(String path) {
    this.path = path;
  }

  /** The proto field name. */
  public String path() {
    return path;
  }

  /**
   * The fields named by an update mask's paths; {@code *} means all. Unknown and output-only paths
   * fail with INVALID_UPDATE_MASK.
   */
  public static Set<EntryField> fromMask(List<String> paths) {
    if (paths.isEmpty()) {
      throw ApiException.field(
          ErrorReason.INVALID_UPDATE_MASK,
          "update_mask",
          "the update changes nothing: name the fields to change in update_mask, or set them in entry");
    }
    EnumSet<EntryField> fields = EnumSet.noneOf(EntryField.class);
    for (String path : paths) {
      if (path.equals("*")) {
        return EnumSet.allOf(EntryField.class);
      }
      EntryField field = BY_PATH.get(path);
      if (field == null) {
        throw ApiException.field(
            ErrorReason.INVALID_UPDATE_MASK,
            "update_mask",
            "'"
                + path
                + "' is not an updatable entry field; use one of "
                + Arrays.stream(values()).map(EntryField::path).collect(Collectors.joining(", "))
                + " or '*'");
      }
      fields.add(field);
    }
    return fields;
  }

  /**
   * The fields an update changes: those named in {@code mask}, or without a mask (AIP-134) every
   * updatable field set to a non-default value in {@code entry}.
   */
  public static Set<EntryField> of(
      io.spiremgmt.api.v1.Entry entry, com.google.protobuf.FieldMask mask) {
    if (mask != null && mask.getPathsCount() > 0) {
      return fromMask(mask.getPathsList());
    }
    java.util.List<String> paths = new java.util.ArrayList<>();
    for (EntryField field : values()) {
      var descriptor = io.spiremgmt.api.v1.Entry.getDescriptor().findFieldByName(field.path());
      boolean set =
          descriptor.isRepeated()
              ? entry.getRepeatedFieldCount(descriptor) > 0
              : entry.hasField(descriptor);
      if (set) {
        paths.add(field.path());
      }
    }
    return fromMask(paths);
  }
}
