import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import { fieldHelp } from './fieldHelp';
import { StepFieldsProps } from './stepFields';

/** The SVID TTLs and the DNS names. */
export function OptionFields(props: StepFieldsProps) {
  const { form, problems, onChange, onBlur } = props;
  return (
    <Box display="flex" flexDirection="column" maxWidth={720}>
      <TextField
        id="entry-ttl"
        label="X.509-SVID TTL (seconds)"
        margin="normal"
        inputProps={{ inputMode: 'numeric' }}
        value={form.ttl}
        onChange={e => onChange({ ttl: e.target.value }, 'ttl')}
        onBlur={() => onBlur('ttl')}
        {...fieldHelp(
          "Empty for the SPIRE server's default; otherwise 10 to 31536000 (one year).",
          problems('ttl'),
        )}
      />
      <TextField
        id="entry-jwt-svid-ttl"
        label="JWT-SVID TTL (seconds)"
        margin="normal"
        inputProps={{ inputMode: 'numeric' }}
        value={form.jwtSvidTtl}
        onChange={e => onChange({ jwtSvidTtl: e.target.value }, 'jwt_svid_ttl')}
        onBlur={() => onBlur('jwt_svid_ttl')}
        {...fieldHelp(
          "Empty for the SPIRE server's default; otherwise 10 to 31536000.",
          problems('jwt_svid_ttl'),
        )}
      />
      <TextField
        id="entry-dns-names"
        label="DNS names"
        margin="normal"
        multiline
        minRows={3}
        value={form.dnsNames}
        onChange={e => onChange({ dnsNames: e.target.value }, 'dns_names')}
        onBlur={() => onBlur('dns_names')}
        {...fieldHelp(
          'One per line, put in the X.509-SVID. A Developer may name Kubernetes services of its namespaces: <service>.<namespace>.svc.',
          problems('dns_names'),
        )}
      />
    </Box>
  );
}
