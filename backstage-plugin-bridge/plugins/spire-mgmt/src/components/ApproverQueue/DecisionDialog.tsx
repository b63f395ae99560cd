import { FormEvent, useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import { EntryRequest } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { ErrorPanel, ENTRY_REQUESTS } from '../shared';
import { describeDecisionError } from './decisionMessages';

/** The service's limit on a comment or a reason. */
const MAX_TEXT = 2000;

/** Which decision the dialog takes. */
export type Decision = 'approve' | 'reject';

/**
 * Asks for the approver's comment (optional) or the rejection reason (required, checked before anything is
 * sent), sends the decision and closes with the answer; a refusal stays in the dialog, in words.
 */
export function DecisionDialog(props: {
  decision: Decision;
  subject: string;
  onDecide: (text: string) => Promise<EntryRequest>;
  onDone: (answer: EntryRequest) => void;
  onClose: () => void;
}) {
  const { decision, subject } = props;
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const reject = decision === 'reject';
  const titleId = `decision-title-${decision}`;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = text.trim();
    if (reject && !trimmed) {
      setProblem(
        'Give a reason: the requester reads it to change the request.',
      );
      return;
    }
    if (trimmed.length > MAX_TEXT) {
      setProblem(`At most ${MAX_TEXT} characters (now ${trimmed.length}).`);
      return;
    }
    setProblem(undefined);
    setError(undefined);
    setBusy(true);
    try {
      props.onDone(await props.onDecide(trimmed));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      onClose={busy ? undefined : props.onClose}
      aria-labelledby={titleId}
      fullWidth
    >
      <form onSubmit={submit} noValidate>
        <DialogTitle id={titleId}>
          {reject ? 'Reject' : 'Approve'} the {subject}
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            {reject
              ? 'The request is closed and nothing is written. The requester sees your reason.'
              : 'When this is the last approval it needs, the change is applied at once.'}
          </DialogContentText>
          <TextField
            fullWidth
            multiline
            minRows={3}
            variant="outlined"
            label={reject ? 'Reason (required)' : 'Comment (optional)'}
            value={text}
            id={`decision-text-${decision}`}
            // The label says whether it is required (MUI's `required` would add an asterisk to the name).
            inputProps={{ 'aria-required': reject }}
            error={!!problem}
            helperText={problem}
            onChange={e => setText(e.target.value)}
            disabled={busy}
          />
          {error !== undefined && (
            <ErrorPanel
              error={error}
              context={ENTRY_REQUESTS}
              describe={describeDecisionError}
            />
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={props.onClose} disabled={busy}>
            Cancel
          </Button>
          <Button
            type="submit"
            color={reject ? 'secondary' : 'primary'}
            variant="contained"
            disabled={busy}
          >
            {reject ? 'Reject' : 'Approve'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
