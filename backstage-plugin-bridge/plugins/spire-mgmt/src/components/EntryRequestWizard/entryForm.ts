import { create } from '@bufbuild/protobuf';
import { FieldMaskSchema } from '@bufbuild/protobuf/wkt';
import {
  Entry,
  EntrySchema,
  RequestedChange,
  RequestedChangeSchema,
  SelectorSchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** What the wizard asks for: create, change or delete an entry. */
export type WizardAction = 'create' | 'update' | 'delete';

/** One selector as typed; `key` only tells rows apart for React. */
export interface SelectorRow {
  key: string;
  type: string;
  value: string;
}

/** The wizard's fields, as the user typed them (TTLs and DNS names are text until they are sent). */
export interface EntryForm {
  spiffeId: string;
  parentId: string;
  selectors: SelectorRow[];
  siteIds: string[];
  /** X.509-SVID TTL in seconds; empty is the SPIRE server's default. */
  ttl: string;
  /** JWT-SVID TTL in seconds; empty is the SPIRE server's default. */
  jwtSvidTtl: string;
  /** DNS names, one per line (commas also separate). */
  dnsNames: string;
  justification: string;
}

let rowKeys = 0;

/** A new selector row. */
export function selectorRow(type = '', value = ''): SelectorRow {
  rowKeys += 1;
  return { key: `selector-${rowKeys}`, type, value };
}

export function emptyForm(): EntryForm {
  return {
    spiffeId: '',
    parentId: '',
    selectors: [selectorRow()],
    siteIds: [],
    ttl: '',
    jwtSvidTtl: '',
    dnsNames: '',
    justification: '',
  };
}

/** The form of an existing entry, to change or delete it. */
export function formFromEntry(entry: Entry): EntryForm {
  return {
    spiffeId: entry.spiffeId,
    parentId: entry.parentId,
    selectors: entry.selectors.map(s => selectorRow(s.type, s.value)),
    siteIds: [...entry.siteIds],
    ttl: entry.ttl ? String(entry.ttl) : '',
    jwtSvidTtl: entry.jwtSvidTtl ? String(entry.jwtSvidTtl) : '',
    dnsNames: entry.dnsNames.join('\n'),
    justification: '',
  };
}

/** The DNS names of the form's text: one per line or comma-separated, blanks dropped. */
export function dnsNameList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map(name => name.trim())
    .filter(name => name.length > 0);
}

const INT32_MAX = 2147483647;

/** Seconds as typed: empty is 0 (the server's default); anything but a whole number is a problem. */
export function parseSeconds(
  text: string,
): { seconds: number } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') {
    return { seconds: 0 };
  }
  if (!/^\d+$/.test(trimmed) || Number(trimmed) > INT32_MAX) {
    return {
      problem: `'${trimmed}' is not a whole number of seconds (leave it empty for the SPIRE server's default)`,
    };
  }
  return { seconds: Number(trimmed) };
}

/** Problems the form has before anything is sent (text that cannot be turned into the API's types), by field. */
export function localProblems(form: EntryForm): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const [field, text] of [
    ['ttl', form.ttl],
    ['jwt_svid_ttl', form.jwtSvidTtl],
  ] as const) {
    const parsed = parseSeconds(text);
    if ('problem' in parsed) {
      problems[field] = parsed.problem;
    }
  }
  return problems;
}

function seconds(text: string): number {
  const parsed = parseSeconds(text);
  return 'seconds' in parsed ? parsed.seconds : 0;
}

function formEntry(form: EntryForm) {
  return {
    spiffeId: form.spiffeId.trim(),
    parentId: form.parentId.trim(),
    selectors: form.selectors.map(s =>
      create(SelectorSchema, { type: s.type.trim(), value: s.value }),
    ),
    siteIds: form.siteIds,
    ttl: seconds(form.ttl),
    jwtSvidTtl: seconds(form.jwtSvidTtl),
    dnsNames: dnsNameList(form.dnsNames),
  };
}

function sameList(a: string[], b: string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The API's names of the entry fields the wizard edits that differ between `entry` and `base`. */
export function changedFields(
  entry: ReturnType<typeof formEntry>,
  base: Entry,
): string[] {
  const fields: string[] = [];
  if (entry.spiffeId !== base.spiffeId) fields.push('spiffe_id');
  if (entry.parentId !== base.parentId) fields.push('parent_id');
  if (
    !sameList(
      entry.selectors.map(s => `${s.type}:${s.value}`),
      base.selectors.map(s => `${s.type}:${s.value}`),
    )
  ) {
    fields.push('selectors');
  }
  if (entry.ttl !== base.ttl) fields.push('ttl');
  if (entry.jwtSvidTtl !== base.jwtSvidTtl) fields.push('jwt_svid_ttl');
  if (!sameList(entry.dnsNames, base.dnsNames)) fields.push('dns_names');
  if (!sameList(entry.siteIds, base.siteIds)) fields.push('site_ids');
  return fields;
}

/**
 * The change the form asks for: a create with every field, an update of the fields that differ from `base`
 * (the entry as read, whose revision the update is based on; undefined when no field differs), or a delete
 * of `base` at its revision.
 */
export function buildChange(
  action: WizardAction,
  form: EntryForm,
  base?: Entry,
): RequestedChange | undefined {
  if (action === 'create') {
    return create(RequestedChangeSchema, {
      change: { case: 'create', value: create(EntrySchema, formEntry(form)) },
    });
  }
  if (!base) {
    return undefined;
  }
  if (action === 'delete') {
    return create(RequestedChangeSchema, {
      change: {
        case: 'delete',
        value: { id: base.id, revision: base.revision },
      },
    });
  }
  const entry = formEntry(form);
  const paths = changedFields(entry, base);
  if (paths.length === 0) {
    return undefined;
  }
  return create(RequestedChangeSchema, {
    change: {
      case: 'update',
      value: {
        entry: create(EntrySchema, {
          ...entry,
          id: base.id,
          revision: base.revision,
        }),
        updateMask: create(FieldMaskSchema, { paths }),
      },
    },
  });
}
