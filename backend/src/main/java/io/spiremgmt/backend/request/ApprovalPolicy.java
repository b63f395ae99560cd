package io.spiremgmt.backend.request;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The approval policy: which sites' changes need approval and how many approvers, and the rules
 * that need approval wherever the entry goes.
 *
 * @param rules the rules
 * @param sites the sites with a setting, by name
 * @param revision starts at 1, grows by one with every update
 * @param updatedBy who last changed it, empty for the built-in policy
 * @param updatedAt when it last changed, or null
 */
public record ApprovalPolicy(
    Rules rules, List<SitePolicy> sites, long revision, String updatedBy, Instant updatedAt) {

  /** Default threshold of the TTL rule: one day. */
  public static final int DEFAULT_TTL_THRESHOLD = 86_400;

  /** Which changes at a site need approval. */
  public enum Mode {
    /** None. */
    NONE,
    /** Changes made under a Developer's (namespace-scoped) access. */
    DEVELOPER_CHANGES,
    /** Every change. */
    ALL_CHANGES
  }

  /**
   * A site's setting.
   *
   * @param siteId the site
   * @param siteName its name
   * @param mode which changes need approval
   * @param approvals how many distinct approvers (1 or 2)
   */
  public record SitePolicy(UUID siteId, String siteName, Mode mode, int approvals) {}

  /**
   * The rules that need approval of a change wherever it goes, each switchable.
   *
   * @param adminOrDownstream a change that makes an entry admin or downstream
   * @param ttlAboveThreshold a change that sets a TTL above {@code ttlThresholdSeconds}
   * @param ttlThresholdSeconds the TTL threshold in seconds
   * @param dnsNames a change that sets DNS names
   * @param federatesWith a change that sets {@code federates_with}
   */
  public record Rules(
      boolean adminOrDownstream,
      boolean ttlAboveThreshold,
      int ttlThresholdSeconds,
      boolean dnsNames,
      boolean federatesWith) {}
}
