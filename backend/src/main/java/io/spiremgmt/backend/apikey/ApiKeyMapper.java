package io.spiremgmt.backend.apikey;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.spiremgmt.api.v1.ApiKey;
import io.spiremgmt.backend.protobuf.ProtoTime;

/** API keys between the store and the API (never with a secret). */
public final class ApiKeyMapper {
  private ApiKeyMapper() {}

  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

  /** The API message of a stored key. */
  public static ApiKey toProto(ApiKeyView v) {
    ApiKey.Builder b =
        ApiKey.newBuilder()
            .setId(v.id().toString())
            .setName(v.name())
            .setRole(v.role())
            .addAllNamespaces(v.namespaces())
            .setExpireTime(ProtoTime.toTimestamp(v.expiresAt()))
            .setCreateTime(ProtoTime.toTimestamp(v.createdAt()))
            .setCreatedBy(v.createdBy());
    if (v.site() != null) {
      b.setSiteId(v.site().toString());
    }
    if (v.revokedAt() != null) {
      b.setRevokeTime(ProtoTime.toTimestamp(v.revokedAt())).setRevokedBy(v.revokedBy());
    }
    return b.build();
  }

  /** The key's API JSON, as recorded in audit events. */
  public static String json(ApiKeyView v) {
    try {
      return JSON.print(toProto(v));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print API key as JSON", e);
    }
  }
}
