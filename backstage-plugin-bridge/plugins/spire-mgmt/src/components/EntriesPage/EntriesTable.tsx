import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import { Entry } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { Link } from '@backstage/core-components';
import { auditRouteRef } from '../../routes';
import { EntryRequestLinks } from '../EntryRequestWizard/RequestLinks';
import { useMountedRouteRef } from '../routing/useMountedRouteRef';
import { ColumnHeaders, SelectorList, SiteStatusList } from '../shared';

/**
 * One page of entries: SPIFFE ID (with links to request a change or deletion and to its history), parent, selectors and the sync
 * state at each site.
 */
export function EntriesTable(props: { entries: Entry[] }) {
  const audit = useMountedRouteRef(auditRouteRef);
  return (
    <Table aria-label="Workload entries" size="small">
      <ColumnHeaders
        titles={['SPIFFE ID', 'Parent ID', 'Selectors', 'Sites and sync state']}
      />
      <TableBody>
        {props.entries.map(entry => (
          <TableRow key={entry.id} data-testid={`entry-${entry.id}`}>
            <TableCell component="th" scope="row">
              <code>{entry.spiffeId}</code>
              <EntryRequestLinks entry={entry} />
              {audit && (
                <Link
                  to={`${audit()}?${new URLSearchParams({
                    entryId: entry.id,
                  })}`}
                  aria-label={`History of ${entry.spiffeId}`}
                >
                  History
                </Link>
              )}
            </TableCell>
            <TableCell>
              <code>{entry.parentId}</code>
            </TableCell>
            <TableCell>
              <SelectorList selectors={entry.selectors} />
            </TableCell>
            <TableCell>
              <SiteStatusList statuses={entry.siteStatuses} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
