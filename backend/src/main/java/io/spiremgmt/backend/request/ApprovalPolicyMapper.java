package io.spiremgmt.backend.request;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.spiremgmt.api.v1.ApprovalMode;
import io.spiremgmt.api.v1.ApprovalRules;
import io.spiremgmt.api.v1.SiteApprovalPolicy;
import io.spiremgmt.backend.entry.EntryValidator;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.validation.Ids;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Translates the approval policy between the API messages and the domain, checking input. */
public final class ApprovalPolicyMapper {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

  /** Most sites a policy lists. */
  public static final int MAX_SITES = 1000;

  private ApprovalPolicyMapper() {}

  /** The API message of a policy. */
  public static io.spiremgmt.api.v1.ApprovalPolicy toProto(ApprovalPolicy policy) {
    ApprovalPolicy.Rules r = policy.rules();
    io.spiremgmt.api.v1.ApprovalPolicy.Builder b =
        io.spiremgmt.api.v1.ApprovalPolicy.newBuilder()
            .setRules(
                ApprovalRules.newBuilder()
                    .setAdminOrDownstream(r.adminOrDownstream())
                    .setTtlAboveThreshold(r.ttlAboveThreshold())
                    .setTtlThresholdSeconds(r.ttlThresholdSeconds())
                    .setDnsNames(r.dnsNames())
                    .setFederatesWith(r.federatesWith()))
            .setRevision(policy.revision())
            .setUpdatedBy(policy.updatedBy());
    if (policy.updatedAt() != null) {
      b.setUpdateTime(ProtoTime.toTimestamp(policy.updatedAt()));
    }
    for (ApprovalPolicy.SitePolicy site : policy.sites()) {
      b.addSites(
          SiteApprovalPolicy.newBuilder()
              .setSiteId(site.siteId().toString())
              .setSiteName(site.siteName())
              .setMode(ApprovalMode.valueOf("APPROVAL_MODE_" + site.mode().name()))
              .setApprovalsRequired(site.approvals()));
    }
    return b.build();
  }

  /** The policy's API JSON, as recorded in audit events. */
  public static String json(ApprovalPolicy policy) {
    try {
      return JSON.print(toProto(policy));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print the approval policy as JSON", e);
    }
  }

  /**
   * The domain policy of an UpdateApprovalPolicy request (site names left empty): INVALID_ARGUMENT
   * naming the field for a site listed twice, an unspecified mode, approvals other than 1 or 2, a
   * TTL threshold out of range.
   */
  public static ApprovalPolicy fromProto(io.spiremgmt.api.v1.ApprovalPolicy p) {
    if (p.getRevision() <= 0) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD,
          "policy.revision",
          "the revision the policy was read at is required");
    }
    if (p.getSitesCount() > MAX_SITES) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          "policy.sites",
          "at most " + MAX_SITES + " sites (got " + p.getSitesCount() + ")");
    }
    List<ApprovalPolicy.SitePolicy> sites = new ArrayList<>();
    Set<UUID> seen = new HashSet<>();
    for (int i = 0; i < p.getSitesCount(); i++) {
      SiteApprovalPolicy site = p.getSites(i);
      String field = "policy.sites[" + i + "]";
      UUID id = Ids.parse(site.getSiteId(), field + ".site_id");
      if (!seen.add(id)) {
        throw ApiException.field(
            ErrorReason.INVALID_FIELD, field + ".site_id", "site " + id + " is listed twice");
      }
      ApprovalPolicy.Mode mode =
          switch (site.getMode()) {
            case APPROVAL_MODE_NONE -> ApprovalPolicy.Mode.NONE;
            case APPROVAL_MODE_DEVELOPER_CHANGES -> ApprovalPolicy.Mode.DEVELOPER_CHANGES;
            case APPROVAL_MODE_ALL_CHANGES -> ApprovalPolicy.Mode.ALL_CHANGES;
            default ->
                throw ApiException.field(
                    ErrorReason.MISSING_FIELD,
                    field + ".mode",
                    "a mode is required: NONE, DEVELOPER_CHANGES or ALL_CHANGES");
          };
      int approvals = site.getApprovalsRequired() == 0 ? 1 : site.getApprovalsRequired();
      if (approvals != 1 && approvals != 2) {
        throw ApiException.field(
            ErrorReason.INVALID_FIELD,
            field + ".approvals_required",
            "must be 1 or 2 distinct approvers (got " + site.getApprovalsRequired() + ")");
      }
      sites.add(new ApprovalPolicy.SitePolicy(id, "", mode, approvals));
    }
    ApprovalRules r = p.getRules();
    int threshold =
        r.getTtlThresholdSeconds() == 0
            ? ApprovalPolicy.DEFAULT_TTL_THRESHOLD
            : r.getTtlThresholdSeconds();
    if (threshold < EntryValidator.MIN_TTL || threshold > EntryValidator.MAX_TTL) {
      throw ApiException.field(
          ErrorReason.INVALID_TTL,
          "policy.rules.ttl_threshold_seconds",
          "must be between "
              + EntryValidator.MIN_TTL
              + " and "
              + EntryValidator.MAX_TTL
              + " seconds (got "
              + r.getTtlThresholdSeconds()
              + ")");
    }
    return new ApprovalPolicy(
        new ApprovalPolicy.Rules(
            r.getAdminOrDownstream(),
            r.getTtlAboveThreshold(),
            threshold,
            r.getDnsNames(),
            r.getFederatesWith()),
        List.copyOf(sites),
        p.getRevision(),
        "",
        null);
  }
}
