import { expect, Page, test } from '@playwright/test';
import {
  EntryRequest,
  SpireMgmtClients,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import {
  clientsOf,
  expectAccessible,
  signIn,
  signInOn,
  siteIds,
  snap,
} from './demoSession';

/**
 * The seed's workflow in a real browser against the whole demo system (see playwright.config.ts): a developer
 * (dana, role Developer for namespace payments) asks for identities, an operator (oscar) decides, and the
 * demo's approval policy makes a Developer's change to local-west wait for one approval (local-east needs none).
 * Each test uses SPIFFE IDs of its own; the system is started once for all of them.
 */

const TRUST_DOMAIN = 'demo.example.org';
const PARENT_ID = `spiffe://${TRUST_DOMAIN}/spire/agent/k8s_psat/demo`;
const ENTITY_TAB = '/catalog/default/component/payments-api/spire-mgmt';

function spiffeIdFor(account: string): string {
  return `spiffe://${TRUST_DOMAIN}/ns/payments/sa/${account}`;
}

/** The pending request of the approver queue about `spiffeId`. */
function queueRow(page: Page, spiffeId: string) {
  return page.getByTestId(/^queue-row-/).filter({ hasText: spiffeId });
}

/** Opens the approver queue in `page` and returns its pending request about `spiffeId`. */
async function openQueueRow(page: Page, spiffeId: string) {
  await page.goto('/spire-mgmt/approvals');
  return queueRow(page, spiffeId);
}

/** The request's state on its page (a live region). */
function requestState(page: Page) {
  return page.getByTestId('request-state');
}

/** A workload of namespace payments with service account `account`, at both demo sites. */
async function paymentsWorkload(clients: SpireMgmtClients, account: string) {
  const sites = await siteIds(clients);
  return {
    spiffeId: spiffeIdFor(account),
    parentId: PARENT_ID,
    selectors: [
      { type: 'k8s:ns', value: 'payments' },
      { type: 'k8s:sa', value: account },
    ],
    siteIds: [sites['local-east'], sites['local-west']],
  };
}

/** Submits a create request as `clients` (a Developer's change, so local-west makes it wait for approval). */
async function submitCreate(
  clients: SpireMgmtClients,
  account: string,
  justification: string,
): Promise<EntryRequest> {
  return clients.entryRequests.submitEntryRequest({
    change: {
      change: {
        case: 'create',
        value: await paymentsWorkload(clients, account),
      },
    },
    justification,
  });
}

/** Creates an entry at both demo sites as the operator (an Operator's own write needs no approval). */
async function createAsOperator(account: string, ttl = 3600) {
  const operator = await clientsOf('operator');
  const entry = await operator.entries.createEntry({
    entry: { ...(await paymentsWorkload(operator, account)), ttl },
  });
  return { operator, entry };
}

test('a developer requests an identity, fixing a field error on the way; an operator approves it; the entity tab shows it reach SYNCED live', async ({
  browser,
}, testInfo) => {
  const spiffeId = spiffeIdFor('payments-api');
  const dana = await signIn(browser, 'developer');

  // The component's tab, before the identity exists: it stays open and must show the entry arrive.
  await dana.goto(ENTITY_TAB);
  await expect(
    dana.getByRole('button', { name: 'Request an identity' }),
  ).toBeVisible();
  await expectAccessible(dana, 'the entity tab');
  await snap(dana, testInfo, '01-entity-tab-empty');

  // The wizard, in a second tab of dana's (the entity tab keeps following).
  const wizard = await dana.context().newPage();
  await signInOn(wizard, 'developer');
  await wizard.goto(ENTITY_TAB);
  await wizard.getByRole('button', { name: 'Request an identity' }).click();
  await expect(
    wizard.getByRole('heading', { name: 'Request an identity' }),
  ).toBeVisible();
  const spiffeIdField = wizard.getByRole('textbox', { name: /^SPIFFE ID/ });
  // Suggested from the component's annotations.
  await expect(spiffeIdField).toHaveValue(spiffeId);

  // A field error, shown on the field it names, then fixed.
  await spiffeIdField.fill(`spiffe://${TRUST_DOMAIN}/ns/payments//sa/api`);
  await expect(spiffeIdField).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(wizard, 'the wizard with a field error');
  await snap(wizard, testInfo, '02-wizard-field-error', 'wizard-field-error');
  await spiffeIdField.fill(spiffeId);
  await expect(spiffeIdField).toHaveAttribute('aria-invalid', 'false');
  await wizard.getByRole('textbox', { name: /^Parent ID/ }).fill(PARENT_ID);
  await wizard.getByRole('button', { name: 'Next' }).click();

  // Selectors: suggested from the component (its namespace and a service account named after it).
  await expect(
    wizard.getByRole('textbox', { name: /^Selector 1 value/ }),
  ).toHaveValue('payments');
  await expect(
    wizard.getByRole('textbox', { name: /^Selector 2 value/ }),
  ).toHaveValue('payments-api');
  await wizard.getByRole('button', { name: 'Next' }).click();

  // Sites: local-west needs approval of a Developer's change, and says so.
  await wizard.getByRole('checkbox', { name: /^local-east/ }).check();
  await wizard.getByRole('checkbox', { name: /^local-west/ }).check();
  await expect(
    wizard.getByRole('checkbox', { name: /^local-west/ }),
  ).toHaveAccessibleDescription(/approv/i);
  await expectAccessible(wizard, 'the wizard, sites');
  await snap(wizard, testInfo, '03-wizard-sites', 'wizard-sites');
  await wizard.getByRole('button', { name: 'Next' }).click();
  await wizard.getByRole('button', { name: 'Next' }).click();

  await wizard
    .getByRole('textbox', { name: /^Justification/ })
    .fill('The payments API calls the ledger over mTLS.');
  await snap(wizard, testInfo, '04-wizard-review', 'wizard-review');
  await wizard.getByRole('button', { name: 'Submit request' }).click();

  // The request's page follows its state.
  await expect(requestState(wizard)).toContainText(
    'Waiting for approval: 0 of 1',
  );
  await expectAccessible(wizard, 'the request page');
  await snap(wizard, testInfo, '05-request-pending', 'request-page');

  // The operator's queue: the change as a diff, approve.
  const oscar = await signIn(browser, 'operator');
  const row = await openQueueRow(oscar, spiffeId);
  await expect(row).toContainText('Requested by');
  await expect(row).toContainText('The payments API calls the ledger');
  await expectAccessible(oscar, 'the approver queue');
  await snap(oscar, testInfo, '06-queue', 'approver-queue');
  await row
    .getByRole('button', { name: `Approve the create of ${spiffeId}` })
    .click();
  const dialog = oscar.getByRole('dialog');
  await dialog
    .getByRole('textbox', { name: /Comment/ })
    .fill('Looks right: the ledger expects this ID.');
  await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(row).toHaveCount(0);

  // The request page, live: applied, then SYNCED at both sites.
  await expect(requestState(wizard)).toContainText('Applied');
  await expect(
    wizard.getByText('Active at every site: SYNCED at 2 of 2.'),
  ).toBeVisible();
  await snap(wizard, testInfo, '07-request-synced');

  // The entity tab, opened before the entry existed and never reloaded: the entry with both sites synced.
  const entryRow = dana
    .getByRole('table', { name: 'Workload entries of this component' })
    .getByRole('row')
    .filter({ hasText: spiffeId });
  await expect(entryRow).toContainText('local-east: synced');
  await expect(entryRow).toContainText('local-west: synced');
  await expectAccessible(dana, 'the entity tab with an entry');
  await snap(dana, testInfo, '08-entity-tab-synced', 'entity-tab');
});

test('an operator rejects a request with a reason, and the developer reads it', async ({
  browser,
}, testInfo) => {
  const account = 'payments-reporter';
  const request = await submitCreate(
    await clientsOf('developer'),
    account,
    'Reports for finance.',
  );

  const oscar = await signIn(browser, 'operator');
  const row = await openQueueRow(oscar, spiffeIdFor(account));
  await row
    .getByRole('button', {
      name: `Reject the create of ${spiffeIdFor(account)}`,
    })
    .click();
  const dialog = oscar.getByRole('dialog');
  // A rejection needs a reason.
  await dialog.getByRole('button', { name: 'Reject', exact: true }).click();
  await expect(dialog).toContainText('Give a reason');
  await dialog
    .getByRole('textbox', { name: /^Reason/ })
    .fill('Finance reports run in namespace payments-batch: ask there.');
  await expectAccessible(oscar, 'the reject dialog');
  await snap(oscar, testInfo, '01-reject-dialog', 'reject-dialog');
  await dialog.getByRole('button', { name: 'Reject', exact: true }).click();
  await expect(row).toHaveCount(0);

  const dana = await signIn(browser, 'developer');
  await dana.goto(`/spire-mgmt/requests/${request.id}`);
  await expect(requestState(dana)).toContainText('Rejected by');
  await expect(requestState(dana)).toContainText(
    'Reason: Finance reports run in namespace payments-batch: ask there.',
  );
  await snap(dana, testInfo, '02-request-rejected', 'request-rejected');
});

test('a developer cannot approve their own request', async ({
  browser,
}, testInfo) => {
  const account = 'payments-auditor';
  const developer = await clientsOf('developer');
  const request = await submitCreate(developer, account, 'Audit trail.');

  const dana = await signIn(browser, 'developer');
  const row = await openQueueRow(dana, spiffeIdFor(account));
  await expect(row).toContainText(
    'This is your request: another approver must decide it (four eyes).',
  );
  await expect(row.getByRole('button', { name: /^Approve/ })).toHaveCount(0);
  await expectAccessible(dana, "the queue with the user's own request");
  await snap(dana, testInfo, '01-own-request');

  // The API enforces it too, whatever a client shows.
  await expect(
    developer.entryRequests.approveEntryRequest({ id: request.id }),
  ).rejects.toMatchObject({ name: 'NotAllowedError' });
});

test('a request on an entry that changed since shows both versions, and approving it writes nothing', async ({
  browser,
}, testInfo) => {
  const account = 'payments-ledger';
  const spiffeId = spiffeIdFor(account);
  const { operator, entry } = await createAsOperator(account);

  // The developer asks for a longer TTL, from the entity tab's link, on the entry as it is.
  const dana = await signIn(browser, 'developer');
  await dana.goto(ENTITY_TAB);
  await dana
    .getByRole('link', { name: `Request a change of ${spiffeId}` })
    .click();
  await expect(
    dana.getByRole('heading', { name: 'Request a change of an entry' }),
  ).toBeVisible();
  await dana.getByRole('button', { name: /TTLs and DNS names$/ }).click();
  await dana.getByRole('textbox', { name: /^X\.509-SVID TTL/ }).fill('7200');
  await dana.getByRole('button', { name: /Justification and review$/ }).click();
  await dana
    .getByRole('textbox', { name: /^Justification/ })
    .fill('Ledger batch runs last longer than an hour.');
  await dana.getByRole('button', { name: 'Submit request' }).click();
  await expect(requestState(dana)).toContainText('Waiting for approval');

  // Meanwhile the operator changes the entry directly.
  await operator.entries.updateEntry({
    entry: { ...entry, dnsNames: ['ledger.payments.svc'] },
    updateMask: { paths: ['dns_names'] },
  });

  const oscar = await signIn(browser, 'operator');
  const row = await openQueueRow(oscar, spiffeId);
  const warning = row.getByRole('alert');
  await expect(warning).toContainText(
    'Warning: the entry moved since the request was made',
  );
  // Both versions: the entry when requested and now (the operator's DNS name), and the requested change.
  const since = row.getByRole('table', {
    name: 'Changes to the entry since the request was made',
  });
  await expect(since).toContainText('When requested');
  await expect(since).toContainText('Now');
  await expect(since).toContainText('ledger.payments.svc');
  const requested = row.getByRole('table', { name: 'Requested change' });
  await expect(requested).toContainText('3600');
  await expect(requested).toContainText('7200');
  await expectAccessible(oscar, 'the queue with a moved entry');
  await snap(oscar, testInfo, '01-queue-conflict', 'approver-queue-conflict');

  await row
    .getByRole('button', { name: `Approve the change of ${spiffeId}` })
    .click();
  await oscar
    .getByRole('dialog')
    .getByRole('button', { name: 'Approve', exact: true })
    .click();
  await expect(requestState(dana)).toContainText(
    'Not applied: the entry changed in the meantime',
  );
  await snap(dana, testInfo, '02-request-conflict', 'request-conflict');
  const after = await operator.entries.getEntry({ id: entry.id });
  expect(after.ttl).toBe(3600);
});

test('the entries, sites and audit screens', async ({ browser }, testInfo) => {
  const account = 'payments-viewer-demo';
  await createAsOperator(account);
  const viewer = await signIn(browser, 'viewer');

  await viewer.goto('/spire-mgmt/entries');
  await expect(viewer.getByText(spiffeIdFor(account)).first()).toBeVisible();
  await expectAccessible(viewer, 'the entries page');
  await snap(viewer, testInfo, '01-entries', 'entries');

  await viewer.goto('/spire-mgmt/sites');
  await expect(viewer.getByText('local-east').first()).toBeVisible();
  await expect(viewer.getByText('local-west').first()).toBeVisible();
  await expectAccessible(viewer, 'the sites page');
  await snap(viewer, testInfo, '02-sites', 'sites');

  // An entry's history, from its link on the entries page: the create, with its fields as before/after.
  await viewer.goto('/spire-mgmt/entries');
  await viewer
    .getByRole('link', { name: `History of ${spiffeIdFor(account)}` })
    .click();
  const history = viewer.getByRole('table', {
    name: 'Change history of this entry, newest first',
  });
  await expect(history).toContainText('entry.create');
  await expect(history).toContainText(spiffeIdFor(account));
  await expectAccessible(viewer, 'the audit page');
  await snap(viewer, testInfo, '03-audit', 'audit');
});

test('a user without a spire-mgmt role is told why on each screen, not shown a blank page', async ({
  browser,
}, testInfo) => {
  const nina = await signIn(browser, 'newcomer');
  const screens = [
    { path: '/spire-mgmt/entries', roles: 'Listing entries and sites needs' },
    { path: '/spire-mgmt/sites', roles: 'Listing entries and sites needs' },
    { path: '/spire-mgmt/approvals', roles: 'Seeing requests needs' },
    { path: ENTITY_TAB, roles: "Viewing a component's identities needs" },
  ];
  for (const { path, roles } of screens) {
    await nina.goto(path);
    const refusal = nina
      .getByRole('alert')
      .filter({ hasText: 'You have no spire-mgmt role that allows this' });
    await expect(refusal).toContainText(roles);
    await expect(refusal).toContainText(
      'ask an administrator to map one of your groups to a role',
    );
  }
  await expectAccessible(nina, 'the entity tab without a role');
  await snap(nina, testInfo, '01-no-role', 'no-role');
});
