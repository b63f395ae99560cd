import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { DiffValue, FieldDiff } from './diffEntries';

function Values(props: { values: DiffValue[]; side: 'removed' | 'added' }) {
  if (props.values.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        (none)
      </Typography>
    );
  }
  const Mark = props.side === 'removed' ? 'del' : 'ins';
  return (
    <Box component="ul" m={0} pl={0} style={{ listStyle: 'none' }}>
      {props.values.map(v => (
        <li key={v.text}>
          {v.changed ? (
            <Box
              component={Mark}
              color={props.side === 'removed' ? 'error.main' : 'success.main'}
              style={{ textDecoration: 'none' }}
            >
              <code>
                {props.side === 'removed' ? '− ' : '+ '}
                {v.text}
              </code>
            </Box>
          ) : (
            <code>{v.text}</code>
          )}
        </li>
      ))}
    </Box>
  );
}

/** The differing fields of two versions as a table: field, before (removed marked −), after (added marked +). */
export function DiffTable(props: {
  diffs: FieldDiff[];
  label: string;
  beforeTitle?: string;
  afterTitle?: string;
}) {
  if (props.diffs.length === 0) {
    return (
      <Typography variant="body2">No field differs ({props.label}).</Typography>
    );
  }
  return (
    <Table size="small" aria-label={props.label}>
      <TableHead>
        <TableRow>
          <TableCell component="th" scope="col">
            Field
          </TableCell>
          <TableCell component="th" scope="col">
            {props.beforeTitle ?? 'Before'}
          </TableCell>
          <TableCell component="th" scope="col">
            {props.afterTitle ?? 'After'}
          </TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.diffs.map(d => (
          <TableRow key={d.field} data-testid={`diff-${d.field}`}>
            <TableCell component="th" scope="row">
              {d.label}
            </TableCell>
            <TableCell>
              <Values values={d.before} side="removed" />
            </TableCell>
            <TableCell>
              <Values values={d.after} side="added" />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
