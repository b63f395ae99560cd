import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { green, red } from '@material-ui/core/colors';
import { makeStyles } from '@material-ui/core/styles';
import { DiffValue, FieldDiff } from './diffEntries';

// Removed and added values in red and green dark enough for text on a table's striped rows in a light theme
// (WCAG AA asks 4.5:1; the themes' own error and success colours are lighter), light ones in a dark theme.
const useStyles = makeStyles(theme => {
  const light = theme.palette.type === 'light';
  return {
    removed: { color: light ? red[800] : red[300], textDecoration: 'none' },
    added: { color: light ? green[900] : green[300], textDecoration: 'none' },
  };
});

function Values(props: { values: DiffValue[]; side: 'removed' | 'added' }) {
  const classes = useStyles();
  if (props.values.length === 0) {
    return (
      <Typography variant="body2">
        <em>(none)</em>
      </Typography>
    );
  }
  const Mark = props.side === 'removed' ? 'del' : 'ins';
  return (
    <Box component="ul" m={0} pl={0} style={{ listStyle: 'none' }}>
      {props.values.map(v => (
        <li key={v.text}>
          {v.changed ? (
            <Mark className={classes[props.side]}>
              <code>
                {props.side === 'removed' ? '− ' : '+ '}
                {v.text}
              </code>
            </Mark>
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
