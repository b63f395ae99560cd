import { EntryRequestKind } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** What a request of each kind does, in a word (lower case). */
export const ENTRY_REQUEST_KIND_LABELS: Record<EntryRequestKind, string> = {
  [EntryRequestKind.UNSPECIFIED]: 'change',
  [EntryRequestKind.CREATE]: 'create',
  [EntryRequestKind.UPDATE]: 'change',
  [EntryRequestKind.DELETE]: 'delete',
};
