import { FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { AuditHistory } from './AuditHistory';

/**
 * The page's audit section: the audit history of the entry named by `?entryId=` (the entries tab links each
 * entry's here), or a field to name one.
 */
export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const entryId = params.get('entryId')?.trim() ?? '';
  const [typed, setTyped] = useState(entryId);
  const show = (event: FormEvent) => {
    event.preventDefault();
    setParams(typed.trim() ? { entryId: typed.trim() } : {});
  };
  return (
    <>
      <Box
        component="form"
        display="flex"
        alignItems="flex-end"
        mb={2}
        style={{ gap: 16 }}
        onSubmit={show}
      >
        <TextField
          id="spire-mgmt-audit-entry-id"
          label="Entry ID"
          value={typed}
          onChange={e => setTyped(e.target.value)}
          helperText="The id of a workload entry (its History link on the Entries tab fills it in)"
        />
        <Button type="submit" variant="outlined" color="primary">
          Show its history
        </Button>
      </Box>
      {entryId ? (
        <AuditHistory key={entryId} entryId={entryId} />
      ) : (
        <Typography variant="body2">
          Name an entry to see who changed it, when, and what changed.
        </Typography>
      )}
    </>
  );
}
