import { fromJson, JsonObject } from '@bufbuild/protobuf';
import {
  AuditEvent,
  Entry,
  EntrySchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { diffEntries, diffJsonObjects, FieldDiff } from '../EntryDiff';

const ENTRY_ACTIONS = new Set(['entry.create', 'entry.update', 'entry.delete']);

function asEntry(json: JsonObject | undefined): Entry | undefined {
  return json
    ? fromJson(EntrySchema, json, { ignoreUnknownFields: true })
    : undefined;
}

/**
 * An audit event's before and after, field by field: an entry's create, update or delete compared as
 * entries (the event holds each version as the entry's API JSON); any other event (a site's sync status,
 * a site, a request) by its top-level JSON fields.
 */
export function auditEventDiff(event: AuditEvent): FieldDiff[] {
  if (event.targetType === 'entry' && ENTRY_ACTIONS.has(event.action)) {
    try {
      return diffEntries(asEntry(event.before), asEntry(event.after));
    } catch {
      // Written by another version of the service: compare it as JSON.
    }
  }
  return diffJsonObjects(event.before, event.after);
}

const ACTION_LABELS: Record<string, string> = {
  'entry.create': 'created the entry',
  'entry.update': 'changed the entry',
  'entry.delete': 'deleted the entry',
  'entry.sync': "a site's sync state changed",
  'entry.unassign': 'a site confirmed the removal',
  'entry.purge': 'every site confirmed the deletion (purged)',
  'entry.policy_bypass': 'wrote directly, bypassing approval (break glass)',
};

/** What an audit action did, in words (the action's own name when it has none). */
export function auditActionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action;
}
