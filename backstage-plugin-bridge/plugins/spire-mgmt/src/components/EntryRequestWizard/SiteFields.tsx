import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormGroup from '@material-ui/core/FormGroup';
import FormHelperText from '@material-ui/core/FormHelperText';
import FormLabel from '@material-ui/core/FormLabel';
import Typography from '@material-ui/core/Typography';
import {
  ApprovalPolicy,
  Site,
  SiteStatus,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { approvalRuleNotes, siteApprovalNote } from './approvalNotes';
import { fieldHelp } from './fieldHelp';
import { StepFieldsProps } from './stepFields';

/**
 * The sites to hold the entry, each marked with whether it needs approval and why (the preview's answer for
 * this change where it has one, else the site's policy setting), and the policy's rules that need approval
 * wherever the entry goes.
 */
export function SiteFields(
  props: StepFieldsProps & {
    sites: Site[];
    policy: ApprovalPolicy;
    previewReasons?: string[];
  },
) {
  const { form, problems, onChange, sites, policy, previewReasons } = props;
  const toggle = (id: string, checked: boolean) =>
    onChange(
      {
        siteIds: checked
          ? [...form.siteIds, id]
          : form.siteIds.filter(s => s !== id),
      },
      'site_ids',
    );
  const rules = approvalRuleNotes(policy);
  const help = fieldHelp(
    'The entry goes to the SPIRE server of every site chosen; none keeps it centrally only.',
    problems('site_ids'),
  );
  if (sites.length === 0) {
    return (
      <Typography>
        No site is registered yet: the entry would be kept centrally only. An
        administrator registers sites.
      </Typography>
    );
  }
  return (
    <Box maxWidth={720}>
      <FormControl component="fieldset" error={help.error}>
        <FormLabel component="legend">Sites</FormLabel>
        <FormGroup>
          {sites.map(site => {
            const note = siteApprovalNote(site, policy, previewReasons);
            const inactive = site.status === SiteStatus.INACTIVE;
            const checked = form.siteIds.includes(site.id);
            return (
              <Box key={site.id} mb={1} data-testid={`site-${site.id}`}>
                <FormControlLabel
                  control={
                    <Checkbox
                      checked={checked}
                      disabled={inactive && !checked}
                      onChange={e => toggle(site.id, e.target.checked)}
                      inputProps={{
                        'aria-describedby': `site-note-${site.id}`,
                      }}
                    />
                  }
                  label={`${site.name} (${site.trustDomain}${
                    site.region ? `, ${site.region}` : ''
                  })`}
                />
                <Typography
                  variant="body2"
                  id={`site-note-${site.id}`}
                  color={note.needsApproval ? 'textPrimary' : 'textSecondary'}
                >
                  {inactive ? 'Inactive: takes no new entries. ' : ''}
                  {note.needsApproval ? (
                    <strong>{note.text}</strong>
                  ) : (
                    note.text
                  )}
                </Typography>
              </Box>
            );
          })}
        </FormGroup>
        <FormHelperText>{help.helperText}</FormHelperText>
      </FormControl>
      {rules.length > 0 && (
        <Typography variant="body2">
          Wherever the entry goes, approval is also needed for:{' '}
          {rules.join('; ')}.
        </Typography>
      )}
    </Box>
  );
}
