import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { create } from '@bufbuild/protobuf';
import {
  AuditEventSchema,
  EntrySchema,
  ListAuditEventsResponseSchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  SpireMgmtAuditEventListOptions,
  SpireMgmtComponentScope,
  spireMgmtApiRef,
} from '../../api';
import { ComponentAuditSection } from './ComponentAuditSection';

describe('ComponentAuditSection', () => {
  it("reads the component's history only when the user opens it, from the keyboard", async () => {
    // Given a fake API with one entry and one event about it
    const scopes: SpireMgmtComponentScope[] = [];
    const calls: SpireMgmtAuditEventListOptions[] = [];
    const api = {
      listComponentEntries: async (scope: SpireMgmtComponentScope) => {
        scopes.push(scope);
        return [create(EntrySchema, { id: 'e1', spiffeId: 'spiffe://td/a' })];
      },
      listAuditEvents: async (options: SpireMgmtAuditEventListOptions) => {
        calls.push(options);
        return create(ListAuditEventsResponseSchema, {
          auditEvents: [
            create(AuditEventSchema, {
              id: 1n,
              action: 'entry.create',
              targetType: 'entry',
              targetId: 'e1',
              actor: 'user:default/olivia',
              after: { spiffe_id: 'spiffe://td/a' },
            }),
          ],
        });
      },
    };
    const scope = { kubernetesNamespaces: ['payments'] };
    await renderInTestApp(
      <TestApiProvider apis={[[spireMgmtApiRef, api]]}>
        <ComponentAuditSection scope={scope} />
      </TestApiProvider>,
    );
    const toggle = screen.getByRole('button', {
      name: 'Show the change history',
    });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(calls).toEqual([]);

    // When
    toggle.focus();
    await userEvent.setup().keyboard('{Enter}');

    // Then
    expect(await screen.findByTestId('audit-event-1')).toHaveTextContent(
      'created the entry (entry.create)spiffe://td/a',
    );
    expect(
      screen.getByRole('button', { name: 'Hide the change history' }),
    ).toHaveAttribute('aria-expanded', 'true');
    expect(scopes).toEqual([scope]);
  });
});
