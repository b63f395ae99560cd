import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { SpireMgmtComponentScope } from '../../api';
import { AuditHistory } from './AuditHistory';

/**
 * The change history of a component's entries for its entity tab, read only when the user opens it (it
 * reads each entry's audit trail).
 */
export function ComponentAuditSection(props: {
  scope: SpireMgmtComponentScope;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Box mt={3} component="section" aria-labelledby="spire-mgmt-history">
      <Typography variant="h6" component="h2" id="spire-mgmt-history">
        Change history
      </Typography>
      <Button
        variant="outlined"
        aria-expanded={open}
        aria-controls="spire-mgmt-history-content"
        onClick={() => setOpen(o => !o)}
      >
        {open ? 'Hide the change history' : 'Show the change history'}
      </Button>
      <Box id="spire-mgmt-history-content" mt={1}>
        {open && <AuditHistory scope={props.scope} />}
      </Box>
    </Box>
  );
}
