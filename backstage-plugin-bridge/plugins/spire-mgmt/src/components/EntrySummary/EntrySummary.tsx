import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { Entry } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** The fields of an entry a request changes, in words; `siteName` names a site id. */
function fieldRows(
  entry: Entry,
  siteName: (id: string) => string,
): [string, string, string][] {
  const seconds = (n: number) => (n ? `${n} s` : "SPIRE server's default");
  return [
    ['spiffe_id', 'SPIFFE ID', entry.spiffeId],
    ['parent_id', 'Parent ID', entry.parentId],
    [
      'selectors',
      'Selectors',
      entry.selectors.map(s => `${s.type}:${s.value}`).join(', '),
    ],
    [
      'site_ids',
      'Sites',
      entry.siteIds.map(siteName).join(', ') || 'none (kept centrally only)',
    ],
    ['ttl', 'X.509-SVID TTL', seconds(entry.ttl)],
    ['jwt_svid_ttl', 'JWT-SVID TTL', seconds(entry.jwtSvidTtl)],
    ['dns_names', 'DNS names', entry.dnsNames.join(', ') || 'none'],
  ];
}

/**
 * An entry's fields as a table; with `before`, each row shows the value before and the requested one, and
 * the rows in `changed` (the API's field names) are marked.
 */
export function EntrySummary(props: {
  entry: Entry;
  before?: Entry;
  changed?: string[];
  label: string;
  siteName?: (id: string) => string;
}) {
  const siteName = props.siteName ?? ((id: string) => id);
  const rows = fieldRows(props.entry, siteName);
  const beforeRows = props.before
    ? fieldRows(props.before, siteName)
    : undefined;
  return (
    <Table size="small" aria-label={props.label}>
      <TableHead>
        <TableRow>
          <TableCell component="th" scope="col">
            Field
          </TableCell>
          {beforeRows && (
            <TableCell component="th" scope="col">
              Before
            </TableCell>
          )}
          <TableCell component="th" scope="col">
            {beforeRows ? 'Requested' : 'Value'}
          </TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map(([field, label, value], i) => {
          const changed = props.changed?.includes(field);
          return (
            <TableRow key={field}>
              <TableCell component="th" scope="row">
                {label}
                {changed ? ' (changed)' : ''}
              </TableCell>
              {beforeRows && <TableCell>{beforeRows[i][2]}</TableCell>}
              <TableCell>
                {changed ? <strong>{value}</strong> : value}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
