import {
  ApprovalMode,
  ApprovalPolicy,
  Site,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** Whether a site needs approval, and why, in words. */
export interface SiteApprovalNote {
  needsApproval: boolean;
  text: string;
}

function approvers(count: number): string {
  const n = Math.max(count, 1);
  return `${n} approver${n === 1 ? '' : 's'}`;
}

// PreviewEntryRequest's reasons: `site <name>: <why>` per site, `rule: <why>` per rule.
const SITE_REASON = /^site ([^:]+): (.*)$/;

/**
 * What a site asks of a request: the preview's reason for this site when the preview names it (it judges
 * this user's change), else the site's policy setting (whose "Developers' changes" mode depends on the
 * requester's role, so it says "may").
 */
export function siteApprovalNote(
  site: Site,
  policy: ApprovalPolicy | undefined,
  previewReasons: string[] | undefined,
): SiteApprovalNote {
  const previewed = previewReasons
    ?.map(reason => SITE_REASON.exec(reason))
    .find(match => match?.[1] === site.name);
  const setting = policy?.sites.find(s => s.siteId === site.id);
  const count = ` (${approvers(setting?.approvalsRequired ?? 1)})`;
  if (previewed) {
    return {
      needsApproval: true,
      text: `Needs approval for this request${count}: ${previewed[2]}`,
    };
  }
  switch (setting?.mode) {
    case ApprovalMode.ALL_CHANGES:
      return {
        needsApproval: true,
        text: `Needs approval${count}: every change at this site needs it`,
      };
    case ApprovalMode.DEVELOPER_CHANGES:
      return {
        needsApproval: true,
        text: `Needs approval${count} when a Developer asks: Developers' changes at this site need it`,
      };
    default:
      return {
        needsApproval: false,
        text: "No approval needed by this site's policy",
      };
  }
}

/** The policy's rules that need approval wherever the entry goes, in words (empty when all are off). */
export function approvalRuleNotes(
  policy: ApprovalPolicy | undefined,
): string[] {
  const rules = policy?.rules;
  if (!rules) {
    return [];
  }
  const notes: string[] = [];
  if (rules.adminOrDownstream) {
    notes.push('making an entry admin or downstream');
  }
  if (rules.ttlAboveThreshold) {
    notes.push(
      `a TTL above ${
        rules.ttlThresholdSeconds || 86400
      } seconds (X.509 or JWT)`,
    );
  }
  if (rules.dnsNames) {
    notes.push('setting DNS names');
  }
  if (rules.federatesWith) {
    notes.push('federating with other trust domains');
  }
  return notes;
}
