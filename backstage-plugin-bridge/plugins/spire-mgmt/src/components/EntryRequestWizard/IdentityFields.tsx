import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import { fieldHelp } from './fieldHelp';
import { StepFieldsProps } from './stepFields';

/** The SPIFFE ID and the parent ID. */
export function IdentityFields(
  props: StepFieldsProps & { suggested?: string },
) {
  const { form, problems, onChange, onBlur, suggested } = props;
  return (
    <Box display="flex" flexDirection="column" maxWidth={720}>
      <TextField
        id="entry-spiffe-id"
        label="SPIFFE ID"
        required
        margin="normal"
        value={form.spiffeId}
        onChange={e => onChange({ spiffeId: e.target.value }, 'spiffe_id')}
        onBlur={() => onBlur('spiffe_id')}
        {...fieldHelp(
          suggested
            ? `Suggested from the component: ${suggested}. The ID the workload receives, spiffe://<trust domain>/<path>.`
            : 'The ID the workload receives, spiffe://<trust domain>/<path>, e.g. spiffe://example.org/ns/payments/sa/api.',
          problems('spiffe_id'),
        )}
      />
      <TextField
        id="entry-parent-id"
        label="Parent ID"
        required
        margin="normal"
        value={form.parentId}
        onChange={e => onChange({ parentId: e.target.value }, 'parent_id')}
        onBlur={() => onBlur('parent_id')}
        {...fieldHelp(
          'The SPIFFE ID of the SPIRE agent (or node alias) the workload runs under, in the same trust domain, e.g. spiffe://example.org/spire/agent/k8s_psat/cluster-1.',
          problems('parent_id'),
        )}
      />
    </Box>
  );
}
