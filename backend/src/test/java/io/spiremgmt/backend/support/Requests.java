package io.spiremgmt.backend.support;

import io.spiremgmt.api.v1.ApprovalMode;
import io.spiremgmt.api.v1.ApprovalPolicy;
import io.spiremgmt.api.v1.ApproveEntryRequestRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryRequest;
import io.spiremgmt.api.v1.EntryUpdate;
import io.spiremgmt.api.v1.GetApprovalPolicyRequest;
import io.spiremgmt.api.v1.RequestedChange;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteApprovalPolicy;
import io.spiremgmt.api.v1.SubmitEntryRequestRequest;
import io.spiremgmt.api.v1.UpdateApprovalPolicyRequest;

/** Entry request fixtures: sites under an approval setting, and the usual requests. */
public final class Requests {
  private Requests() {}

  /**
   * A new site of {@code trustDomain} whose changes need approval as {@code mode} says, by {@code
   * approvals} approvers (the policy of other sites is kept).
   */
  public static Site siteUnder(
      String adminToken, String trustDomain, ApprovalMode mode, int approvals) {
    Site site = Fixtures.site(adminToken, trustDomain);
    ApprovalPolicy current =
        Api.requests(adminToken).getApprovalPolicy(GetApprovalPolicyRequest.getDefaultInstance());
    Api.requests(adminToken)
        .updateApprovalPolicy(
            UpdateApprovalPolicyRequest.newBuilder()
                .setPolicy(
                    current.toBuilder()
                        .addSites(
                            SiteApprovalPolicy.newBuilder()
                                .setSiteId(site.getId())
                                .setMode(mode)
                                .setApprovalsRequired(approvals)))
                .build());
    return site;
  }

  /** A request to create {@code entry}. */
  public static SubmitEntryRequestRequest create(Entry.Builder entry) {
    return SubmitEntryRequestRequest.newBuilder()
        .setChange(RequestedChange.newBuilder().setCreate(entry))
        .setJustification("needed for the rollout")
        .build();
  }

  /**
   * A request to update the fields set in {@code values} of entry {@code id} at {@code revision}.
   */
  public static SubmitEntryRequestRequest update(String id, long revision, Entry.Builder values) {
    return SubmitEntryRequestRequest.newBuilder()
        .setChange(
            RequestedChange.newBuilder()
                .setUpdate(
                    EntryUpdate.newBuilder().setEntry(values.setId(id).setRevision(revision))))
        .setJustification("needs a change")
        .build();
  }

  /** An approval of {@code request}. */
  public static ApproveEntryRequestRequest approve(EntryRequest request) {
    return ApproveEntryRequestRequest.newBuilder().setId(request.getId()).setComment("ok").build();
  }
}
