import { useCallback, useEffect, useState } from 'react';
import { EmptyState, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  Site,
  SiteHealth,
  SiteStatus,
  SiteTier,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { spireMgmtApiRef } from '../../api';
import { entriesRouteRef } from '../../routes';
import {
  ColumnHeaders,
  describeError,
  ErrorPanel,
  MANAGEMENT_LISTS,
} from '../shared';
import { SiteHealthCells } from './SiteHealthCells';

const STATUS_LABELS: Record<SiteStatus, string> = {
  [SiteStatus.UNSPECIFIED]: 'unknown',
  [SiteStatus.ACTIVE]: 'active',
  [SiteStatus.INACTIVE]: 'inactive (takes no new entries)',
  [SiteStatus.MAINTENANCE]: 'maintenance',
};

const TIER_LABELS: Record<SiteTier, string> = {
  [SiteTier.UNSPECIFIED]: '',
  [SiteTier.STANDALONE]: 'standalone',
  [SiteTier.UPSTREAM]: 'upstream',
  [SiteTier.DOWNSTREAM]: 'downstream',
};

const COLUMNS = [
  'Site',
  'Status',
  'Agent',
  'Lag',
  'Entries',
  'Failing pairs',
  'Unmanaged SPIRE entries',
];

type HealthState =
  | { status: 'loading' }
  | { status: 'loaded'; health: SiteHealth }
  | { status: 'error'; error: unknown };

type SitesState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'loaded'; sites: Site[] };

function healthError(error: unknown): string {
  const { title, message } = describeError(error, MANAGEMENT_LISTS);
  return `The site's health could not be read: ${title}. ${message}`;
}

function SiteRow(props: {
  site: Site;
  health: HealthState;
  entriesLink: string;
}) {
  const { site, health, entriesLink } = props;
  const failingLink = `${entriesLink}?${new URLSearchParams({
    site: site.id,
    state: 'failed',
  })}`;
  return (
    <TableRow data-testid={`site-${site.id}`}>
      <TableCell component="th" scope="row">
        <Typography variant="body2">
          <strong>{site.name}</strong>
        </Typography>
        <Typography variant="body2">
          {[site.region, site.trustDomain, TIER_LABELS[site.tier]]
            .filter(Boolean)
            .join(' · ')}
        </Typography>
      </TableCell>
      <TableCell>{STATUS_LABELS[site.status]}</TableCell>
      {health.status === 'loading' && (
        <TableCell colSpan={COLUMNS.length - 2}>
          <Typography variant="body2">Reading the site's health…</Typography>
        </TableCell>
      )}
      {health.status === 'error' && (
        <TableCell colSpan={COLUMNS.length - 2}>
          <Typography variant="body2" color="error">
            {healthError(health.error)}
          </Typography>
        </TableCell>
      )}
      {health.status === 'loaded' && (
        <SiteHealthCells
          siteName={site.name}
          health={health.health}
          failingEntriesLink={failingLink}
        />
      )}
    </TableRow>
  );
}

/**
 * Each site with its health as the service sees it now (`GetSiteHealth`): whether its agent is connected and
 * when it last polled, the lag, the entry counts, the failing (entry, site) pairs and the unmanaged SPIRE
 * entries its agent found. A Developer's answer covers its namespaces only, and leaves the unmanaged count out.
 */
export function SitesPage() {
  const api = useApi(spireMgmtApiRef);
  const entriesLink = useRouteRef(entriesRouteRef)();
  const [sites, setSites] = useState<SitesState>({ status: 'loading' });
  const [health, setHealth] = useState<Record<string, HealthState>>({});
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setSites({ status: 'loading' });
    setHealth({});
    api.listSites().then(
      list => {
        if (cancelled) {
          return;
        }
        setSites({ status: 'loaded', sites: list });
        list.forEach(site =>
          api.getSiteHealth(site.id).then(
            h =>
              !cancelled &&
              setHealth(all => ({
                ...all,
                [site.id]: { status: 'loaded', health: h },
              })),
            error =>
              !cancelled &&
              setHealth(all => ({
                ...all,
                [site.id]: { status: 'error', error },
              })),
          ),
        );
      },
      error => !cancelled && setSites({ status: 'error', error }),
    );
    return () => {
      cancelled = true;
    };
  }, [api, attempt]);

  const reload = useCallback(() => setAttempt(a => a + 1), []);

  if (sites.status === 'loading') {
    return <Progress />;
  }
  if (sites.status === 'error') {
    return (
      <ErrorPanel
        error={sites.error}
        context={MANAGEMENT_LISTS}
        action={{ label: 'Try again', onClick: reload }}
      />
    );
  }
  if (sites.sites.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No site is registered"
        description="An Admin registers each SPIRE server as a site (SiteService.CreateSite); its site agent then syncs the entries assigned to it."
      />
    );
  }
  return (
    <Box>
      <Box display="flex" alignItems="center" mb={1}>
        <Box flexGrow={1}>
          <Typography variant="body2">
            Health as of when the page was read; refresh to read it again.
          </Typography>
        </Box>
        <Button variant="outlined" onClick={reload}>
          Refresh
        </Button>
      </Box>
      <Table aria-label="Sites and their health" size="small">
        <ColumnHeaders titles={COLUMNS} />
        <TableBody>
          {sites.sites.map(site => (
            <SiteRow
              key={site.id}
              site={site}
              health={health[site.id] ?? { status: 'loading' }}
              entriesLink={entriesLink}
            />
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}
