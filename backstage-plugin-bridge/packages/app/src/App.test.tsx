import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import app from './App';
import { DEMO_USERS } from './demoSignIn';

/** The Users of the demo catalog the backend reads (catalog/demo-org.yaml). */
function catalogUsers(): { name: string; displayName: string }[] {
  const file = join(__dirname, '../../../catalog/demo-org.yaml');
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map(doc => doc.toJS())
    .filter(entity => entity.kind === 'User')
    .map(entity => ({
      name: entity.metadata.name,
      displayName: entity.spec.profile.displayName,
    }));
}

jest.setTimeout(60_000);

describe('the demo app', () => {
  const env = process.env;
  let fetchDouble: jest.SpyInstance;

  beforeEach(() => {
    process.env = {
      ...env,
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Test', baseUrl: 'http://localhost:3000' },
            backend: { baseUrl: 'http://localhost:7007' },
          },
          context: 'test',
        },
      ] as any,
    };
    sessionStorage.clear();
    // A double of the browser's fetch: the test has no backend. It answers the sign-in with an error.
    fetchDouble = jest
      .spyOn(globalThis, 'fetch')
      .mockResolvedValue(
        new Response(
          JSON.stringify({ error: { name: 'NotFoundError', message: 'no' } }),
          { status: 404, headers: { 'content-type': 'application/json' } },
        ),
      );
  });

  afterEach(() => {
    process.env = env;
    fetchDouble.mockRestore();
  });

  it('offersEveryDemoCatalogUserOnItsSignInPage', async () => {
    // When the app (catalog, spire-mgmt and the demo sign-in, as createApp loads them) starts
    render(app.createRoot());

    // Then its sign-in page offers exactly the demo catalog's users
    for (const user of catalogUsers()) {
      expect(
        await screen.findByRole(
          'button',
          { name: `Sign in as ${user.displayName}` },
          { timeout: 20_000 },
        ),
      ).toBeInTheDocument();
    }
    expect(DEMO_USERS.map(u => u.name).sort()).toEqual(
      catalogUsers()
        .map(u => u.name)
        .sort(),
    );
  });

  it('signsInThroughTheDemoProviderAsTheChosenUser', async () => {
    // Given the sign-in page
    render(app.createRoot());

    // When Dana is chosen
    await userEvent.click(
      await screen.findByRole(
        'button',
        { name: 'Sign in as Dana Developer' },
        { timeout: 20_000 },
      ),
    );

    // Then the app asks the backend's demo provider for dana, and shows its refusal with a way back
    expect(
      await screen.findByRole('button', { name: 'Choose another user' }),
    ).toBeInTheDocument();
    const [url, init] = fetchDouble.mock.calls.find(([u]) =>
      String(u).includes('/api/auth/demo/refresh'),
    )!;
    expect(String(url)).toContain(
      'http://localhost:7007/api/auth/demo/refresh',
    );
    expect(new Headers(init.headers).get('x-spire-mgmt-demo-user')).toBe(
      'dana',
    );
  });
});
