import { FormEvent, useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import { Site } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { describeError, MANAGEMENT_LISTS } from '../shared';
import {
  EntriesFilterName,
  EntriesQuery,
  SYNC_STATE_FILTERS,
} from './entriesQuery';

/** The sites to choose from: still loading, read, or failed to be read. */
export type SiteChoices =
  | { status: 'loading' }
  | { status: 'loaded'; sites: Site[] }
  | { status: 'error'; error: unknown };

/** A message to show on one filter (the service's, or the page's own). */
export interface FilterError {
  filterName: EntriesFilterName;
  message: string;
}

type Drafts = Pick<EntriesQuery, EntriesFilterName>;

function draftsOf(query: EntriesQuery): Drafts {
  const { site, selector, prefix, state } = query;
  return { site, selector, prefix, state };
}

function siteHelperText(sites: SiteChoices): string | undefined {
  if (sites.status === 'loading') {
    return 'Reading the sites…';
  }
  if (sites.status === 'error') {
    const { title, message } = describeError(sites.error, MANAGEMENT_LISTS);
    return `The sites could not be read: ${title}. ${message}`;
  }
  return undefined;
}

/**
 * The entries page's filters. The lists apply when chosen, the text fields when the form is submitted (Enter
 * or "Apply filters"); each field shows its filter's error.
 */
export function EntriesFilters(props: {
  query: EntriesQuery;
  sites: SiteChoices;
  error?: FilterError;
  onApply: (filters: Drafts) => void;
}) {
  const { query, sites, error, onApply } = props;
  const [drafts, setDrafts] = useState<Drafts>(() => draftsOf(query));

  // The URL is the source of truth: going back or following a link shows its filters.
  const { site, selector, prefix, state } = query;
  useEffect(() => {
    setDrafts({ site, selector, prefix, state });
  }, [site, selector, prefix, state]);

  const errorOf = (name: EntriesFilterName) =>
    error?.filterName === name ? error.message : undefined;
  const text = (name: 'selector' | 'prefix') => ({
    id: `spire-mgmt-entries-${name}`,
    value: drafts[name],
    error: !!errorOf(name),
    onChange: (e: { target: { value: string } }) =>
      setDrafts(d => ({ ...d, [name]: e.target.value })),
  });
  const choose = (name: 'site' | 'state') => ({
    id: `spire-mgmt-entries-${name}`,
    select: true,
    SelectProps: { native: true },
    // The empty choice ("Any …") is shown as a value: the label stays above it.
    InputLabelProps: { shrink: true },
    value: drafts[name],
    error: !!errorOf(name),
    onChange: (e: { target: { value: string } }) =>
      onApply({ ...drafts, [name]: e.target.value }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(drafts);
  };

  const knownSites = sites.status === 'loaded' ? sites.sites : [];
  const siteUnknown =
    drafts.site !== '' && !knownSites.some(s => s.id === drafts.site);
  const stateUnknown =
    drafts.state !== '' && SYNC_STATE_FILTERS[drafts.state] === undefined;

  return (
    <Box
      component="form"
      role="search"
      aria-label="Filter entries"
      onSubmit={submit}
      display="flex"
      flexWrap="wrap"
      alignItems="flex-start"
      mb={2}
      p={2}
      pb={1}
      bgcolor="background.paper"
    >
      <Box mr={2} mb={1} minWidth={200}>
        <TextField
          {...choose('site')}
          label="Site"
          fullWidth
          helperText={errorOf('site') ?? siteHelperText(sites)}
        >
          <option value="">Any site</option>
          {knownSites.map(s => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
          {siteUnknown && (
            <option value={drafts.site}>{drafts.site} (unknown site)</option>
          )}
        </TextField>
      </Box>
      <Box mr={2} mb={1} minWidth={260}>
        <TextField
          {...text('selector')}
          label="Selector"
          placeholder="k8s:ns:payments"
          fullWidth
          helperText={
            errorOf('selector') ??
            'type:value; entries with this selector (and maybe more)'
          }
        />
      </Box>
      <Box mr={2} mb={1} minWidth={320}>
        <TextField
          {...text('prefix')}
          label="SPIFFE ID prefix"
          placeholder="spiffe://example.org/ns/payments/"
          fullWidth
          helperText={errorOf('prefix') ?? 'IDs starting with this string'}
        />
      </Box>
      <Box mr={2} mb={1} minWidth={160}>
        <TextField
          {...choose('state')}
          label="Sync state"
          fullWidth
          helperText={errorOf('state') ?? 'at the site, or at any site'}
        >
          <option value="">Any state</option>
          {Object.keys(SYNC_STATE_FILTERS).map(name => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
          {stateUnknown && <option value={drafts.state}>{drafts.state}</option>}
        </TextField>
      </Box>
      <Box mb={1} mt={1}>
        <Button type="submit" variant="contained" color="primary">
          Apply filters
        </Button>
        <Box component="span" ml={1}>
          <Button
            type="button"
            variant="outlined"
            onClick={() =>
              onApply({ site: '', selector: '', prefix: '', state: '' })
            }
          >
            Clear filters
          </Button>
        </Box>
      </Box>
    </Box>
  );
}
