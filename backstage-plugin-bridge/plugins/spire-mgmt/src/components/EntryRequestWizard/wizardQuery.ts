import { InputError } from '@backstage/errors';
import { WizardAction } from './entryForm';

/** What the wizard's link asks for (see newEntryRequestRouteRef). */
export interface WizardQuery {
  action: WizardAction;
  /** The entry to change or delete. */
  entryId?: string;
  /** The catalog entity to suggest the identity from, e.g. `component:default/payments`. */
  entityRef?: string;
}

/**
 * Reads the wizard's query: `action` (`create`, the default, `update` or `delete`), `entryId` (required for
 * update and delete) and `entity` (create only). Throws an InputError saying what is wrong with the link.
 */
export function parseWizardQuery(params: URLSearchParams): WizardQuery {
  const action = params.get('action') ?? 'create';
  if (action !== 'create' && action !== 'update' && action !== 'delete') {
    throw new InputError(
      `The link asks for the action '${action}'; use create, update or delete.`,
    );
  }
  const entryId = params.get('entryId') ?? undefined;
  if (action !== 'create' && !entryId) {
    throw new InputError(
      `The link asks to ${
        action === 'update' ? 'change' : 'delete'
      } an entry but names none: add entryId=<the entry's id>.`,
    );
  }
  return {
    action,
    entryId: action === 'create' ? undefined : entryId,
    entityRef: params.get('entity') ?? undefined,
  };
}
