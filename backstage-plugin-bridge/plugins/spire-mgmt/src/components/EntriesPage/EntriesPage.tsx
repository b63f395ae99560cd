import { useCallback, useEffect, useMemo, useState } from 'react';
import { useLocation, useSearchParams } from 'react-router-dom';
import { EmptyState, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import {
  Entry,
  getSpireMgmtErrorDetails,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { spireMgmtApiRef } from '../../api';
import { NewIdentityLink } from '../EntryRequestWizard/RequestLinks';
import {
  ErrorPanel,
  LiveSyncStatus,
  MANAGEMENT_LISTS,
  useLiveSyncState,
} from '../shared';
import { EntriesFilters, FilterError, SiteChoices } from './EntriesFilters';
import { EntriesTable } from './EntriesTable';
import {
  EntriesFilterName,
  EntriesQuery,
  filterOfField,
  hasFilters,
  readEntriesQuery,
  toEntryFilter,
  toSearchParams,
} from './entriesQuery';

type PageState =
  | { status: 'loading' }
  | { status: 'loaded'; nextPageToken: string }
  | { status: 'filterError'; error: FilterError }
  | { status: 'pageError'; message: string }
  | { status: 'error'; error: unknown };

// The page tokens of the pages before this one, kept in the browser history entry: Back and "Previous page"
// agree, and a shared link (which carries only the current token) starts a new trail.
interface HistoryState {
  previousPages?: string[];
}

function Pager(props: {
  pageNumber: number;
  onFirst?: () => void;
  onPrevious?: () => void;
  onNext?: () => void;
}) {
  const { pageNumber, onFirst, onPrevious, onNext } = props;
  return (
    <Box
      component="nav"
      aria-label="Pages of entries"
      display="flex"
      alignItems="center"
      mt={2}
    >
      <Button onClick={onFirst} disabled={!onFirst}>
        First page
      </Button>
      <Button onClick={onPrevious} disabled={!onPrevious}>
        Previous page
      </Button>
      <Box mx={2}>
        <Typography variant="body2" aria-live="polite">
          Page {pageNumber}
        </Typography>
      </Box>
      <Button onClick={onNext} disabled={!onNext}>
        Next page
      </Button>
    </Box>
  );
}

/**
 * Every workload entry the user may see (a Developer: those of its namespaces), filtered by site, selector,
 * SPIFFE ID prefix and sync state, and paged by the service. The view lives in the URL query, so a link
 * shares it; the sync states of the shown page update live.
 */
export function EntriesPage() {
  const api = useApi(spireMgmtApiRef);
  const [searchParams, setSearchParams] = useSearchParams();
  const location = useLocation();
  const previousPages =
    (location.state as HistoryState | null)?.previousPages ?? [];
  const queryKey = searchParams.toString();
  const query = useMemo(
    () => readEntriesQuery(new URLSearchParams(queryKey)),
    [queryKey],
  );

  const [sites, setSites] = useState<SiteChoices>({ status: 'loading' });
  useEffect(() => {
    let cancelled = false;
    api.listSites().then(
      list => !cancelled && setSites({ status: 'loaded', sites: list }),
      error => !cancelled && setSites({ status: 'error', error }),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const [state, setState] = useState<PageState>({ status: 'loading' });
  const [entries, setEntries] = useState<Entry[]>([]);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let cancelled = false;
    setEntries([]);
    const request = toEntryFilter(query);
    if (!('filter' in request)) {
      setState({ status: 'filterError', error: request });
      return undefined;
    }
    setState({ status: 'loading' });
    api.listEntries(request.filter, query.page).then(
      page => {
        if (!cancelled) {
          setEntries(page.entries);
          setState({ status: 'loaded', nextPageToken: page.nextPageToken });
        }
      },
      error => {
        if (cancelled) {
          return;
        }
        const details = getSpireMgmtErrorDetails(error);
        const at =
          details?.code === 'INVALID_ARGUMENT'
            ? filterOfField(details.field)
            : undefined;
        if (at === 'page') {
          setState({ status: 'pageError', message: details!.message });
        } else if (at) {
          setState({
            status: 'filterError',
            error: { filterName: at, message: details!.message },
          });
        } else {
          setState({ status: 'error', error });
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, query, attempt]);

  const entryIds = useMemo(() => entries.map(e => e.id), [entries]);
  const streamError = useLiveSyncState(entryIds, setEntries);

  const reload = useCallback(() => setAttempt(a => a + 1), []);
  const show = (next: EntriesQuery, trail: string[] = []) =>
    setSearchParams(toSearchParams(next), {
      state: { previousPages: trail } satisfies HistoryState,
    });
  const applyFilters = (filters: Pick<EntriesQuery, EntriesFilterName>) =>
    show({ ...filters, page: '' });
  const firstPage = () => show({ ...query, page: '' });

  let content: JSX.Element;
  if (state.status === 'loading') {
    content = <Progress />;
  } else if (state.status === 'filterError') {
    content = (
      <Typography variant="body2" role="status">
        No entries listed: correct the filter marked above.
      </Typography>
    );
  } else if (state.status === 'pageError') {
    content = (
      <Box role="alert">
        <Typography variant="body2">
          This page of entries can no longer be shown ({state.message}). Page
          links hold for the filters they were made with; start again from the
          first page.
        </Typography>
        <Button variant="outlined" color="primary" onClick={firstPage}>
          Go to the first page
        </Button>
      </Box>
    );
  } else if (state.status === 'error') {
    content = (
      <ErrorPanel
        error={state.error}
        context={MANAGEMENT_LISTS}
        action={{ label: 'Try again', onClick: reload }}
      />
    );
  } else if (entries.length === 0 && !query.page) {
    content = hasFilters(query) ? (
      <EmptyState
        missing="data"
        title="No entry matches these filters"
        description="Change or clear the filters to see more entries."
      />
    ) : (
      <EmptyState
        missing="data"
        title="There are no workload entries you may see"
        description="No workload entry is registered yet, or none in the namespaces your role covers."
      />
    );
  } else {
    const { nextPageToken } = state;
    content = (
      <>
        <LiveSyncStatus
          streamError={streamError}
          context={MANAGEMENT_LISTS}
          following="Sync states of this page update live."
          onReload={reload}
        />
        <EntriesTable entries={entries} />
        <Pager
          pageNumber={previousPages.length + 1}
          onFirst={query.page ? firstPage : undefined}
          onPrevious={
            previousPages.length > 0
              ? () =>
                  show(
                    { ...query, page: previousPages[previousPages.length - 1] },
                    previousPages.slice(0, -1),
                  )
              : undefined
          }
          onNext={
            nextPageToken
              ? () =>
                  show({ ...query, page: nextPageToken }, [
                    ...previousPages,
                    query.page,
                  ])
              : undefined
          }
        />
      </>
    );
  }

  return (
    <>
      <NewIdentityLink />
      <EntriesFilters
        query={query}
        sites={sites}
        error={state.status === 'filterError' ? state.error : undefined}
        onApply={applyFilters}
      />
      {content}
    </>
  );
}
