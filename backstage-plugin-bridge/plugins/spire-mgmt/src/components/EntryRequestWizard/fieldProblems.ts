import { EntryRequestProblem } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/**
 * The wizard's fields, by the API name of the entry field they edit (`selectors[i].type` and
 * `selectors[i].value` are the rows of `selectors`).
 */
export const FORM_FIELDS = [
  'spiffe_id',
  'parent_id',
  'selectors',
  'site_ids',
  'ttl',
  'jwt_svid_ttl',
  'dns_names',
  'justification',
] as const;

/** A field of the wizard. */
export type FormField = (typeof FORM_FIELDS)[number];

/** The problems of a preview (or a refused submit), sorted onto the wizard's fields. */
export interface SortedProblems {
  /** Messages by field key: a {@link FormField}, or `selectors[i].type` / `selectors[i].value` for a row. */
  byField: Record<string, string[]>;
  /** Problems that name no field of the wizard (e.g. the entry's size, or a field it does not edit). */
  general: EntryRequestProblem[];
}

// The API names a field of the request: `change.create.<entry field>`, `change.update.entry.<entry field>`,
// `change.delete.<field>`, `justification`; scope checks may name `entry.<entry field>`.
const PREFIX = /^(change\.(create|update\.entry|update|delete)\.|entry\.)/;
const INDEXED = /^(selectors|dns_names|site_ids)\[(\d+)\](?:\.(type|value))?$/;

/** The wizard's key for an API field name, and the item it names when it is one of a list; or undefined. */
export function formFieldOf(
  apiField: string,
): { key: string; field: FormField; index?: number } | undefined {
  const path = apiField.replace(PREFIX, '');
  if ((FORM_FIELDS as readonly string[]).includes(path)) {
    return { key: path, field: path as FormField };
  }
  const indexed = INDEXED.exec(path);
  if (!indexed) {
    return undefined;
  }
  const field = indexed[1] as FormField;
  const index = Number(indexed[2]);
  if (field === 'selectors' && indexed[3]) {
    return { key: path, field, index };
  }
  return { key: field, field, index };
}

/** The message without the API field name it may start with (`change.create.spiffe_id: …`): the field shows it. */
function withoutFieldName(message: string, field: string): string {
  return message.startsWith(`${field}: `)
    ? message.slice(field.length + 2)
    : message;
}

/**
 * Sorts problems onto the wizard's fields. A problem about one item of a list shown in one field (a DNS name,
 * a site) is put on that field, led by `itemLabel(field, index)` so the user sees which item is meant.
 */
export function sortProblems(
  problems: EntryRequestProblem[],
  itemLabel: (field: FormField, index: number) => string | undefined,
): SortedProblems {
  const byField: Record<string, string[]> = {};
  const general: EntryRequestProblem[] = [];
  for (const problem of problems) {
    const target = problem.field ? formFieldOf(problem.field) : undefined;
    if (!target) {
      general.push(problem);
      continue;
    }
    const label =
      target.index !== undefined && target.key === target.field
        ? itemLabel(target.field, target.index)
        : undefined;
    const text = withoutFieldName(problem.message, problem.field);
    const message = label ? `${label}: ${text}` : text;
    (byField[target.key] ??= []).push(message);
  }
  return { byField, general };
}
