import { Entity } from '@backstage/catalog-model';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { create, MessageInitShape } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import {
  ApprovalMode,
  ApprovalPolicy,
  ApprovalPolicySchema,
  ApprovalRulesSchema,
  Entry,
  EntryRequest,
  EntryRequestProblemSchema,
  EntryRequestSchema,
  EntryRequestState,
  EntrySchema,
  PreviewEntryRequestResponse,
  PreviewEntryRequestResponseSchema,
  SelectorSchema,
  Site,
  SiteApprovalPolicySchema,
  SiteSchema,
  SiteStatus,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes, useParams } from 'react-router-dom';
import {
  SpireMgmtApi,
  SpireMgmtEntryRequestDraft,
  spireMgmtApiRef,
} from '../../api';
import { rootRouteRef } from '../../routes';
import { serviceError } from '../../__testUtils__/serviceError';
import { EntryRequestWizard } from './EntryRequestWizard';

// A test walks the stepper step by step, re-rendering the whole form per step: several seconds on a loaded
// two-core machine, so more than jest's default 5 s.
jest.setTimeout(30_000);

const euWest = create(SiteSchema, {
  id: 's1',
  name: 'eu-west',
  trustDomain: 'example.org',
  status: SiteStatus.ACTIVE,
});
const usEast = create(SiteSchema, {
  id: 's2',
  name: 'us-east',
  trustDomain: 'example.org',
  status: SiteStatus.ACTIVE,
});

const policy = create(ApprovalPolicySchema, {
  revision: 3n,
  sites: [
    create(SiteApprovalPolicySchema, {
      siteId: 's1',
      siteName: 'eu-west',
      mode: ApprovalMode.ALL_CHANGES,
      approvalsRequired: 2,
    }),
  ],
  rules: create(ApprovalRulesSchema, { dnsNames: true }),
});

const payments: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: {
      'spire-mgmt.io/spiffe-id-prefix': 'spiffe://example.org/ns/payments',
      'spire-mgmt.io/kubernetes-namespaces': 'payments',
    },
  },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

const existing = create(EntrySchema, {
  id: 'e1',
  revision: 4n,
  spiffeId: 'spiffe://example.org/ns/payments/sa/api',
  parentId: 'spiffe://example.org/spire/agent/k8s_psat/c1',
  selectors: [create(SelectorSchema, { type: 'k8s:ns', value: 'payments' })],
  siteIds: ['s2'],
  ttl: 3600,
});

type Preview = (
  draft: SpireMgmtEntryRequestDraft,
) => PreviewEntryRequestResponse;

function answer(
  init: MessageInitShape<typeof PreviewEntryRequestResponseSchema> = {},
): PreviewEntryRequestResponse {
  return create(PreviewEntryRequestResponseSchema, {
    valid: !init.problems?.length,
    ...init,
  });
}

function problem(field: string, message: string) {
  return create(EntryRequestProblemSchema, {
    field,
    message,
    reason: 'INVALID_FIELD',
  });
}

function createdEntry(draft: SpireMgmtEntryRequestDraft): Entry | undefined {
  return draft.change.change.case === 'create'
    ? draft.change.change.value
    : undefined;
}

/** A mock of the spire-mgmt API speaking the generated types; preview answers through `preview`. */
class MockSpireMgmtApi implements Partial<SpireMgmtApi> {
  previews: SpireMgmtEntryRequestDraft[] = [];
  submitted: (SpireMgmtEntryRequestDraft & { requestId?: string })[] = [];
  preview: Preview = () => answer();
  submitResult: () => Promise<EntryRequest> = async () =>
    create(EntryRequestSchema, {
      id: 'r-42',
      state: EntryRequestState.PENDING,
    });
  sites: () => Promise<Site[]> = async () => [euWest, usEast];

  listSites = () => this.sites();
  getApprovalPolicy = async (): Promise<ApprovalPolicy> => policy;
  getEntry = async (id: string): Promise<Entry> => {
    if (id !== existing.id) {
      throw serviceError(Code.NotFound, 'no such entry', {
        reason: 'ENTRY_NOT_FOUND',
      });
    }
    return existing;
  };
  previewEntryRequest = async (draft: SpireMgmtEntryRequestDraft) => {
    this.previews.push(draft);
    return this.preview(draft);
  };
  submitEntryRequest = async (
    draft: SpireMgmtEntryRequestDraft & { requestId?: string },
  ) => {
    this.submitted.push(draft);
    return this.submitResult();
  };
}

function RequestPageStandIn() {
  const { requestId } = useParams();
  return <p>Request page of {requestId}</p>;
}

async function renderWizard(api: MockSpireMgmtApi, query: string) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [spireMgmtApiRef, api],
        [catalogApiRef, catalogApiMock({ entities: [payments] })],
      ]}
    >
      <Routes>
        <Route
          path="/spire-mgmt/requests/new"
          element={<EntryRequestWizard previewDelayMs={1} />}
        />
        <Route
          path="/spire-mgmt/requests/:requestId"
          element={<RequestPageStandIn />}
        />
      </Routes>
    </TestApiProvider>,
    {
      routeEntries: [`/spire-mgmt/requests/new${query}`],
      mountedRoutes: { '/spire-mgmt': rootRouteRef },
    },
  );
}

async function replaceText(label: RegExp | string, text: string) {
  const input = screen.getByLabelText(label);
  await userEvent.clear(input);
  if (text) {
    // One input event for the whole text, as a paste makes (typing it key by key checks every prefix).
    await userEvent.paste(text);
  }
}

async function goToStep(name: string) {
  await userEvent.click(screen.getByRole('button', { name }));
  await screen.findByRole('heading', { name });
}

describe('EntryRequestWizard', () => {
  it('suggests the SPIFFE ID and selectors from the component and its namespace', async () => {
    // Given
    const api = new MockSpireMgmtApi();

    // When
    await renderWizard(api, '?entity=component:default/payments-api');

    // Then
    expect(
      await screen.findByRole('heading', { name: 'Request an identity' }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText(/SPIFFE ID/)).toHaveValue(
      'spiffe://example.org/ns/payments/sa/payments-api',
    );
    await goToStep('Selectors');
    expect(screen.getByLabelText('Selector 1 type')).toHaveValue('k8s:ns');
    expect(screen.getByLabelText('Selector 1 value')).toHaveValue('payments');
    expect(screen.getByLabelText('Selector 2 type')).toHaveValue('k8s:sa');
    expect(screen.getByLabelText('Selector 2 value')).toHaveValue(
      'payments-api',
    );
  });

  it("shows a preview's field error on the field it names, and clears it once fixed", async () => {
    // Given a service that refuses SPIFFE IDs under /spire
    const api = new MockSpireMgmtApi();
    const message =
      'invalid SPIFFE ID: paths under /spire are reserved for SPIRE itself';
    api.preview = draft =>
      createdEntry(draft)?.spiffeId.includes('/spire/')
        ? answer({ problems: [problem('change.create.spiffe_id', message)] })
        : answer();
    await renderWizard(api, '');
    await screen.findByRole('heading', { name: 'Identity' });

    // When
    await replaceText(/SPIFFE ID/, 'spiffe://example.org/spire/x');

    // Then the error is the SPIFFE ID field's description, and the field is marked invalid
    const field = screen.getByLabelText(/SPIFFE ID/);
    await waitFor(() => expect(field).toHaveAccessibleDescription(message));
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText(/Parent ID/)).toHaveAttribute(
      'aria-invalid',
      'false',
    );

    // When the user fixes it
    await replaceText(/SPIFFE ID/, 'spiffe://example.org/ns/payments/sa/api');

    // Then
    await waitFor(() => expect(field).toHaveAttribute('aria-invalid', 'false'));
    expect(field).not.toHaveAccessibleDescription(message);
    expect(api.previews.length).toBeGreaterThan(1);
  });

  it("puts a selector row's error on that row's field", async () => {
    // Given
    const api = new MockSpireMgmtApi();
    api.preview = draft =>
      createdEntry(draft)?.selectors[1]?.value === ''
        ? answer({
            problems: [
              problem('change.create.selectors[1].value', 'must not be empty'),
            ],
          })
        : answer();
    await renderWizard(api, '?entity=component:default/payments-api');
    await screen.findByRole('heading', { name: 'Identity' });
    await goToStep('Selectors');

    // When
    await replaceText('Selector 2 value', '');

    // Then
    await waitFor(() =>
      expect(
        screen.getByLabelText('Selector 2 value'),
      ).toHaveAccessibleDescription('must not be empty'),
    );
    expect(screen.getByLabelText('Selector 1 value')).toHaveAttribute(
      'aria-invalid',
      'false',
    );
  });

  it('marks the sites that need approval with the reason', async () => {
    // Given a policy where eu-west needs two approvals for every change, and a preview that says so once
    // eu-west is chosen
    const api = new MockSpireMgmtApi();
    api.preview = draft =>
      createdEntry(draft)?.siteIds.includes('s1')
        ? answer({
            approvalRequired: true,
            approvalsRequired: 2,
            approvalReasons: ['site eu-west: every change needs approval'],
            approverRoles: ['Admin', 'Operator'],
          })
        : answer();
    await renderWizard(api, '');
    await screen.findByRole('heading', { name: 'Identity' });

    // When
    await goToStep('Sites');

    // Then
    const eu = screen.getByTestId('site-s1');
    expect(
      within(eu).getByText(
        'Needs approval (2 approvers): every change at this site needs it',
      ),
    ).toBeInTheDocument();
    expect(
      within(screen.getByTestId('site-s2')).getByText(
        "No approval needed by this site's policy",
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Wherever the entry goes, approval is also needed for: setting DNS names.',
      ),
    ).toBeInTheDocument();

    // When eu-west is chosen, the preview's reason for this request shows
    await userEvent.click(within(eu).getByRole('checkbox'));

    // Then
    expect(
      await within(eu).findByText(
        'Needs approval for this request (2 approvers): every change needs approval',
      ),
    ).toBeInTheDocument();
    expect(within(eu).getByRole('checkbox')).toHaveAccessibleDescription(
      'Needs approval for this request (2 approvers): every change needs approval',
    );
  });

  it("submits the request and goes to the request's page", async () => {
    // Given
    const api = new MockSpireMgmtApi();
    await renderWizard(api, '?entity=component:default/payments-api');
    await screen.findByRole('heading', { name: 'Identity' });
    await replaceText(
      /Parent ID/,
      'spiffe://example.org/spire/agent/k8s_psat/c1',
    );
    await goToStep('Sites');
    await userEvent.click(
      within(screen.getByTestId('site-s2')).getByRole('checkbox'),
    );
    await goToStep('Justification and review');
    await replaceText(/Justification/, 'the payments API needs mTLS');
    await screen.findByText(
      'No approval needed: the change is applied as soon as you submit it.',
    );

    // When
    await userEvent.click(
      screen.getByRole('button', { name: 'Submit request' }),
    );

    // Then
    expect(await screen.findByText('Request page of r-42')).toBeInTheDocument();
    expect(api.submitted).toHaveLength(1);
    const sent = api.submitted[0];
    expect(sent.justification).toBe('the payments API needs mTLS');
    expect(sent.requestId).toMatch(/.+/);
    const entry = createdEntry(sent)!;
    expect(entry.spiffeId).toBe(
      'spiffe://example.org/ns/payments/sa/payments-api',
    );
    expect(entry.parentId).toBe('spiffe://example.org/spire/agent/k8s_psat/c1');
    expect(entry.selectors.map(s => `${s.type}:${s.value}`)).toEqual([
      'k8s:ns:payments',
      'k8s:sa:payments-api',
    ]);
    expect(entry.siteIds).toEqual(['s2']);
  });

  it('does not submit while the preview finds problems, and says where they are', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    api.preview = draft =>
      draft.justification
        ? answer()
        : answer({ problems: [problem('justification', 'is required')] });
    await renderWizard(api, '');
    await screen.findByRole('heading', { name: 'Identity' });
    await goToStep('Justification and review');
    await screen.findByText(/The request cannot be submitted yet/);

    // When
    await userEvent.click(
      screen.getByRole('button', { name: 'Submit request' }),
    );

    // Then
    expect(await screen.findByText('is required')).toBeInTheDocument();
    expect(screen.getByLabelText(/Justification/)).toHaveAttribute(
      'aria-invalid',
      'true',
    );
    expect(api.submitted).toHaveLength(0);
  });

  it("drops a preview answer that arrives after a newer draft's", async () => {
    // Given a service whose first answer (an error) comes last
    const api = new MockSpireMgmtApi();
    const late: Array<(r: PreviewEntryRequestResponse) => void> = [];
    let calls = 0;
    api.previewEntryRequest = (draft: SpireMgmtEntryRequestDraft) => {
      api.previews.push(draft);
      calls++;
      if (calls === 1) {
        return new Promise(resolve => late.push(resolve));
      }
      return Promise.resolve(answer());
    };
    await renderWizard(api, '');
    await screen.findByRole('heading', { name: 'Identity' });
    await waitFor(() => expect(calls).toBe(1));

    // When the user types, the newer draft is answered first, then the first answer arrives
    await userEvent.click(screen.getByLabelText(/SPIFFE ID/));
    await userEvent.paste('spiffe://example.org/a');
    await waitFor(() => expect(calls).toBeGreaterThan(1));
    await act(async () => {
      late[0](
        answer({
          problems: [problem('change.create.spiffe_id', 'stale problem')],
        }),
      );
    });

    // Then
    expect(screen.getByLabelText(/SPIFFE ID/)).toHaveAttribute(
      'aria-invalid',
      'false',
    );
    expect(screen.queryByText('stale problem')).not.toBeInTheDocument();
  });

  it('starts a change from the existing entry and asks to change only the fields edited', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    await renderWizard(api, '?action=update&entryId=e1');
    expect(
      await screen.findByRole('heading', {
        name: 'Request a change of an entry',
      }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText(/SPIFFE ID/)).toHaveValue(existing.spiffeId);

    // When
    await goToStep('TTLs and DNS names');
    expect(screen.getByLabelText(/X.509-SVID TTL/)).toHaveValue('3600');
    await replaceText(/X.509-SVID TTL/, '7200');

    // Then
    await waitFor(() => {
      const last = api.previews[api.previews.length - 1];
      expect(last?.change.change.case).toBe('update');
    });
    const last = api.previews[api.previews.length - 1];
    if (last.change.change.case !== 'update') throw new Error('not an update');
    expect(last.change.change.value.updateMask?.paths).toEqual(['ttl']);
    expect(last.change.change.value.entry?.id).toBe('e1');
    expect(last.change.change.value.entry?.revision).toBe(4n);
    expect(last.change.change.value.entry?.ttl).toBe(7200);
  });

  it('says a TTL that is not a number is wrong without asking the service', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    await renderWizard(api, '');
    await screen.findByRole('heading', { name: 'Identity' });
    await goToStep('TTLs and DNS names');

    // When
    await replaceText(/X.509-SVID TTL/, '1h');

    // Then
    expect(screen.getByLabelText(/X.509-SVID TTL/)).toHaveAccessibleDescription(
      "'1h' is not a whole number of seconds (leave it empty for the SPIRE server's default)",
    );
  });

  it('asks for deletion of an existing entry showing it', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    await renderWizard(api, '?action=delete&entryId=e1');

    // Then
    expect(
      await screen.findByRole('heading', {
        name: 'Request deletion of an entry',
      }),
    ).toBeInTheDocument();
    expect(
      within(
        screen.getByRole('table', { name: 'The entry to delete' }),
      ).getByText(existing.spiffeId),
    ).toBeInTheDocument();
    await waitFor(() => expect(api.previews.length).toBeGreaterThan(0));
    const change = api.previews[0].change.change;
    expect(change.case).toBe('delete');
    expect(change.value).toMatchObject({ id: 'e1', revision: 4n });
  });

  it('puts a field error of a refused submit on its field', async () => {
    // Given a submit refused for the DNS names the preview did not see yet
    const api = new MockSpireMgmtApi();
    api.submitResult = async () => {
      throw serviceError(
        Code.InvalidArgument,
        'x.example.com is not a service name',
        { reason: 'INVALID_DNS_NAME', field: 'change.create.dns_names[0]' },
      );
    };
    await renderWizard(api, '?entity=component:default/payments-api');
    await screen.findByRole('heading', { name: 'Identity' });
    await goToStep('TTLs and DNS names');
    await replaceText(/DNS names/, 'x.example.com');
    await goToStep('Justification and review');
    await replaceText(/Justification/, 'needs a name');

    // When
    await userEvent.click(
      screen.getByRole('button', { name: 'Submit request' }),
    );
    await goToStep('TTLs and DNS names');

    // Then
    expect(screen.getByLabelText(/DNS names/)).toHaveAccessibleDescription(
      'x.example.com: x.example.com is not a service name',
    );
  });

  it('tells a user without a role why, instead of a blank page', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    api.sites = async () => {
      throw serviceError(Code.PermissionDenied, 'caller has no role', {
        reason: 'ROLE_NOT_ALLOWED',
      });
    };

    // When
    await renderWizard(api, '');

    // Then
    expect(
      await screen.findByText('You have no spire-mgmt role that allows this'),
    ).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Requesting a change needs the Developer (for your namespaces), Operator or Admin role',
    );
  });

  it('tells a Viewer that checking a request needs another role', async () => {
    // Given a user who may read the sites and the policy but not ask for changes
    const api = new MockSpireMgmtApi();
    api.previewEntryRequest = async () => {
      throw serviceError(
        Code.PermissionDenied,
        'PreviewEntryRequest needs one of Admin, Operator, Developer',
        { reason: 'ROLE_NOT_ALLOWED' },
      );
    };

    // When
    await renderWizard(api, '');

    // Then
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'You have no spire-mgmt role that allows this',
    );
    expect(screen.getByRole('alert')).toHaveTextContent(
      'PreviewEntryRequest needs one of Admin, Operator, Developer. Requesting a change needs the Developer (for your namespaces), Operator or Admin role',
    );
  });

  it('says what is wrong with a link that names no entry to change', async () => {
    // Given
    const api = new MockSpireMgmtApi();

    // When
    await renderWizard(api, '?action=update');

    // Then
    expect(await screen.findByRole('alert')).toHaveTextContent(
      "The link asks to change an entry but names none: add entryId=<the entry's id>.",
    );
  });
});
