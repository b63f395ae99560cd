import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';

/** A table's head: one column header cell per title. */
export function ColumnHeaders(props: { titles: string[] }) {
  return (
    <TableHead>
      <TableRow>
        {props.titles.map(title => (
          <TableCell key={title} component="th" scope="col">
            {title}
          </TableCell>
        ))}
      </TableRow>
    </TableHead>
  );
}
