import { LinkButton, Link } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import { Entry } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { newEntryRequestRouteRef } from '../../routes';
import { useMountedRouteRef } from '../routing/useMountedRouteRef';

/** The wizard's address for an action (see newEntryRequestRouteRef for the query). */
export function wizardLink(
  base: string,
  query: { action?: 'update' | 'delete'; entryId?: string; entity?: string },
): string {
  const params = new URLSearchParams();
  if (query.action) params.set('action', query.action);
  if (query.entryId) params.set('entryId', query.entryId);
  if (query.entity) params.set('entity', query.entity);
  const search = params.toString();
  return search ? `${base}?${search}` : base;
}

/**
 * "Request an identity", for a catalog entity when `entityRef` is given (the wizard suggests the identity from
 * its annotations); nothing when the app has not mounted the plugin's page.
 */
export function NewIdentityLink(props: { entityRef?: string }) {
  const newRequest = useMountedRouteRef(newEntryRequestRouteRef);
  if (!newRequest) {
    return null;
  }
  return (
    <LinkButton
      variant="contained"
      color="primary"
      to={wizardLink(newRequest(), { entity: props.entityRef })}
    >
      Request an identity
    </LinkButton>
  );
}

/**
 * "Request a change" and "Request deletion" of an entry; nothing when the app has not mounted the plugin's
 * page.
 */
export function EntryRequestLinks(props: { entry: Entry }) {
  const newRequest = useMountedRouteRef(newEntryRequestRouteRef);
  if (!newRequest) {
    return null;
  }
  const { id, spiffeId } = props.entry;
  return (
    <Box display="flex" style={{ gap: 16 }} mt={1}>
      <Link
        to={wizardLink(newRequest(), { action: 'update', entryId: id })}
        aria-label={`Request a change of ${spiffeId}`}
      >
        Request a change
      </Link>
      <Link
        to={wizardLink(newRequest(), { action: 'delete', entryId: id })}
        aria-label={`Request deletion of ${spiffeId}`}
      >
        Request deletion
      </Link>
    </Box>
  );
}
