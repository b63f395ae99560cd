import { ReactElement } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import {
  Content,
  EmptyState,
  Header,
  Link,
  Page,
} from '@backstage/core-components';
import { SubRouteRef, useRouteRef } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import {
  approvalsRouteRef,
  auditRouteRef,
  entriesRouteRef,
  entryRequestRouteRef,
  newEntryRequestRouteRef,
  rootRouteRef,
  sitesRouteRef,
} from '../../routes';
import { ApproverQueue } from '../ApproverQueue';
import { AuditPage } from '../AuditHistory';
import { EntriesPage } from '../EntriesPage';
import { EntryRequestPage } from '../EntryRequestPage';
import { EntryRequestWizard } from '../EntryRequestWizard';
import { SitesPage } from '../SitesPage';

/**
 * A section of the page: the element shown at its sub-route's path and, when it has a `tab` title, a tab.
 * Sections without a tab (a request's page, the request wizard) are reached by links.
 */
interface Section {
  routeRef: SubRouteRef<any>;
  tab?: string;
  element: ReactElement;
}

// One line per section. The first one is where the page opens.
const SECTIONS: Section[] = [
  { routeRef: entriesRouteRef, tab: 'Entries', element: <EntriesPage /> },
  { routeRef: sitesRouteRef, tab: 'Sites', element: <SitesPage /> },
  { routeRef: approvalsRouteRef, tab: 'Approvals', element: <ApproverQueue /> },
  { routeRef: auditRouteRef, tab: 'Audit', element: <AuditPage /> },
  { routeRef: newEntryRequestRouteRef, element: <EntryRequestWizard /> },
  { routeRef: entryRequestRouteRef, element: <EntryRequestPage /> },
];

function SectionTabs(props: { base: string }) {
  const { pathname } = useLocation();
  const tabs = SECTIONS.filter(s => s.tab);
  const current = tabs.findIndex(s =>
    `${pathname}/`.startsWith(`${props.base}${s.routeRef.path}/`),
  );
  // In the legacy page's grid, tabs go where core-components puts a page's header tabs.
  return (
    <Box gridArea="pageSubheader" px={3}>
      <Tabs
        value={current < 0 ? false : current}
        aria-label="SPIFFE management sections"
        indicatorColor="primary"
        textColor="primary"
      >
        {tabs.map(s => (
          <Tab
            key={s.routeRef.path}
            label={s.tab}
            component={Link}
            to={`${props.base}${s.routeRef.path}`}
          />
        ))}
      </Tabs>
    </Box>
  );
}

/**
 * The sections of the "SPIFFE management" page (entries, sites, ...) as routes below the page's own, with tabs
 * for those that have one: the page's content without its header (the new frontend system's page supplies
 * that).
 */
export function SpireMgmtSections() {
  const base = useRouteRef(rootRouteRef)().replace(/\/$/, '');
  const home = `${base}${SECTIONS[0].routeRef.path}`;
  return (
    <>
      <SectionTabs base={base} />
      <Content>
        <Routes>
          <Route path="/" element={<Navigate to={home} replace />} />
          {SECTIONS.map(s => (
            <Route
              key={s.routeRef.path}
              path={s.routeRef.path}
              element={s.element}
            />
          ))}
          <Route
            path="*"
            element={
              <EmptyState
                missing="content"
                title="There is no such page in SPIFFE management"
                description="The link may be mistyped, or the page may have moved."
                action={<Link to={home}>Go to the entries</Link>}
              />
            }
          />
        </Routes>
      </Content>
    </>
  );
}

/** The "SPIFFE management" page with its header, for the legacy frontend system. */
export function SpireMgmtPage() {
  return (
    <Page themeId="tool">
      <Header
        title="SPIFFE management"
        subtitle="Workload entries, their sites, the requests to change them and their history"
      />
      <SpireMgmtSections />
    </Page>
  );
}
