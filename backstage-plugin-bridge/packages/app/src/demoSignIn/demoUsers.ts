/** A user of the demo catalog (`catalog/demo-org.yaml`) the sign-in page offers. */
export interface DemoUser {
  /** The catalog User's `metadata.name`. */
  name: string;
  displayName: string;
  /** What the user may do in spire-mgmt (its group's role in `app-config.yaml`, `spireMgmt.roles`). */
  role: string;
}

/** The demo catalog's users, in the order the sign-in page lists them. */
export const DEMO_USERS: readonly DemoUser[] = [
  {
    name: 'dana',
    displayName: 'Dana Developer',
    role: 'Developer of payments: requests identities for namespaces payments and payments-batch',
  },
  {
    name: 'oscar',
    displayName: 'Oscar Operator',
    role: 'Operator: approves requests, sees every entry and site',
  },
  {
    name: 'vera',
    displayName: 'Vera Viewer',
    role: 'Viewer: reads entries, sites and requests',
  },
  {
    name: 'ada',
    displayName: 'Ada Admin',
    role: 'Admin: everything, including sites and API keys',
  },
  {
    name: 'nina',
    displayName: 'Nina Newcomer',
    role: 'No role (checkout is mapped to none): sees why each screen is refused',
  },
];

/** The auth provider of packages/backend's demo sign-in module. */
export const DEMO_PROVIDER_ID = 'demo';

/** The header naming the user to sign in as (packages/backend/src/demoSignIn). */
export const DEMO_USER_HEADER = 'x-spire-mgmt-demo-user';
