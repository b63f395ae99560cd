import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { EntryRequestProblem } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { fieldHelp } from './fieldHelp';
import { StepFieldsProps } from './stepFields';
import { PreviewState } from './usePreview';

function PreviewSummary(props: { preview: PreviewState; unchanged: boolean }) {
  const { preview, unchanged } = props;
  if (unchanged) {
    return (
      <Typography>
        Nothing to request yet: change at least one field of the entry.
      </Typography>
    );
  }
  const response = preview.response;
  if (!response) {
    return <Typography>Checking the request…</Typography>;
  }
  const checking = preview.current ? '' : ' (checking your latest edits…)';
  if (!response.valid) {
    return (
      <Typography>
        The request cannot be submitted yet: fix the problems shown on the
        fields{checking}.
      </Typography>
    );
  }
  if (!response.approvalRequired) {
    return (
      <Typography>
        No approval needed: the change is applied as soon as you submit it
        {checking}.
      </Typography>
    );
  }
  const approvers = response.approvalsRequired;
  return (
    <>
      <Typography>
        Needs approval by {approvers} approver{approvers === 1 ? '' : 's'} (
        {response.approverRoles.join(' or ') || 'Admin or Operator'}, not you)
        {checking}, because:
      </Typography>
      <Box component="ul" mt={0}>
        {response.approvalReasons.map(reason => (
          <li key={reason}>
            <Typography variant="body2">{reason}</Typography>
          </li>
        ))}
      </Box>
    </>
  );
}

/**
 * The justification, what the service says about the request as it stands (approval needed or not, and
 * why), and the problems that belong to no field of the wizard.
 */
export function ReviewFields(
  props: StepFieldsProps & {
    preview: PreviewState;
    unchanged: boolean;
    general: EntryRequestProblem[];
  },
) {
  const { form, problems, onChange, onBlur, preview, unchanged, general } =
    props;
  return (
    <Box display="flex" flexDirection="column" maxWidth={720}>
      <TextField
        id="entry-justification"
        label="Justification"
        required
        multiline
        minRows={3}
        margin="normal"
        value={form.justification}
        onChange={e =>
          onChange({ justification: e.target.value }, 'justification')
        }
        onBlur={() => onBlur('justification')}
        {...fieldHelp(
          'Why you need this, for the approvers: 1 to 2000 characters.',
          problems('justification'),
        )}
      />
      <Box role="status" aria-live="polite" mt={2}>
        <PreviewSummary preview={preview} unchanged={unchanged} />
      </Box>
      {general.length > 0 && (
        <Box role="alert" mt={1} color="error.main">
          <Typography variant="body2">
            Problems with the request as a whole:
          </Typography>
          <Box component="ul" mt={0}>
            {general.map(p => (
              <li key={`${p.field}:${p.reason}:${p.message}`}>
                <Typography variant="body2">
                  {p.message}
                  {p.field ? ` (${p.field})` : ''}
                </Typography>
              </li>
            ))}
          </Box>
        </Box>
      )}
    </Box>
  );
}
