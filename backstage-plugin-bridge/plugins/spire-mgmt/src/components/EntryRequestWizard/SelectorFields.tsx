import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import FormHelperText from '@material-ui/core/FormHelperText';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { selectorRow, SelectorRow } from './entryForm';
import { fieldHelp } from './fieldHelp';
import { StepFieldsProps } from './stepFields';

const TYPE_HINTS: Record<string, string> = {
  'k8s:ns': 'The Kubernetes namespace the pod runs in.',
  'k8s:sa': "The pod's Kubernetes service account.",
};

/**
 * The selectors, one row each (type and value), with buttons adding the Kubernetes namespace and service
 * account selectors or a selector of any other type (`unix:uid`, `docker:label`, ...).
 */
export function SelectorFields(
  props: StepFieldsProps & { namespaces: string[] },
) {
  const { form, problems, onChange, onBlur, namespaces } = props;
  const rows = form.selectors;
  const setRows = (selectors: SelectorRow[]) =>
    onChange({ selectors }, 'selectors');
  const update = (index: number, patch: Partial<SelectorRow>) =>
    setRows(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  const listProblems = problems('selectors');
  const valueHint = (type: string) => {
    if (type.trim() === 'k8s:ns' && namespaces.length > 0) {
      return `${TYPE_HINTS['k8s:ns']} The component's: ${namespaces.join(
        ', ',
      )}.`;
    }
    return TYPE_HINTS[type.trim()] ?? 'The value the attestor checks.';
  };
  return (
    <Box maxWidth={720}>
      <Typography variant="body2" id="selectors-description">
        The workload gets the SPIFFE ID when it has every selector below.
      </Typography>
      {rows.map((row, i) => (
        <Box
          key={row.key}
          display="flex"
          alignItems="flex-start"
          data-testid={`selector-row-${i}`}
        >
          <Box flex={1} mr={2}>
            <TextField
              id={`selector-${i}-type`}
              label={`Selector ${i + 1} type`}
              margin="normal"
              fullWidth
              value={row.type}
              onChange={e => update(i, { type: e.target.value })}
              onBlur={() => onBlur('selectors')}
              {...fieldHelp(
                'e.g. k8s:ns, k8s:sa, unix:uid',
                problems(`selectors[${i}].type`),
              )}
            />
          </Box>
          <Box flex={2} mr={2}>
            <TextField
              id={`selector-${i}-value`}
              label={`Selector ${i + 1} value`}
              margin="normal"
              fullWidth
              value={row.value}
              onChange={e => update(i, { value: e.target.value })}
              onBlur={() => onBlur('selectors')}
              {...fieldHelp(
                valueHint(row.type),
                problems(`selectors[${i}].value`),
              )}
            />
          </Box>
          <Box mt={3}>
            <Button
              variant="outlined"
              onClick={() => setRows(rows.filter((_, j) => j !== i))}
              aria-label={`Remove selector ${i + 1}`}
            >
              Remove
            </Button>
          </Box>
        </Box>
      ))}
      {listProblems && (
        <FormHelperText error id="selectors-problems">
          {listProblems.join(' ')}
        </FormHelperText>
      )}
      <Box mt={2} display="flex" style={{ gap: 8 }}>
        <Button
          variant="outlined"
          onClick={() =>
            setRows([...rows, selectorRow('k8s:ns', namespaces[0] ?? '')])
          }
        >
          Add namespace selector (k8s:ns)
        </Button>
        <Button
          variant="outlined"
          onClick={() => setRows([...rows, selectorRow('k8s:sa')])}
        >
          Add service account selector (k8s:sa)
        </Button>
        <Button
          variant="outlined"
          onClick={() => setRows([...rows, selectorRow()])}
        >
          Add another selector
        </Button>
      </Box>
    </Box>
  );
}
