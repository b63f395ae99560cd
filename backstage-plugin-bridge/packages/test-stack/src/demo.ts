import { create } from '@bufbuild/protobuf';
import {
  ApprovalMode,
  createSpireMgmtClients,
  createSpireMgmtTransport,
  SiteApprovalPolicySchema,
  SpireMgmtClients,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  alive,
  exitOf,
  freePort,
  ProcessExited,
  startLoggedGroup,
  stopProcess,
  waitFor,
} from './processes';
import { LocalSites, startLocalSites } from './spire';
import {
  REPO_ROOT,
  SpireMgmtTestStack,
  startSpireMgmtTestStack,
} from './testStack';

const WORKSPACE = join(REPO_ROOT, 'backstage-plugin-bridge');
const YARN = join(WORKSPACE, '.yarn/releases/yarn-4.13.0.cjs');

/**
 * The demo app's URL (app-config.yaml).
 *
 * @public
 */
export const DEMO_APP_URL = 'http://localhost:3000';

/**
 * The demo Backstage backend's URL (app-config.yaml).
 *
 * @public
 */
export const DEMO_BACKSTAGE_URL = 'http://localhost:7007';

/** The demo catalog's Admin, as whom the launcher creates the sites and their agents' API keys. */
const LAUNCHER_USER = 'ada';

/** The two local sites: one trust domain, so an entry can be assigned to both. */
const DEMO_SITES = [
  { name: 'local-east', region: 'east', trustDomain: 'demo.example.org' },
  { name: 'local-west', region: 'west', trustDomain: 'demo.example.org' },
];

/**
 * The demo's approval policy: a Developer's change that touches this site waits for one approver (an Operator or
 * Admin other than the requester); the other site needs none, so a newcomer sees both paths.
 *
 * @public
 */
export const DEMO_APPROVAL_SITE = 'local-west';

/**
 * Sets the demo's approval policy (see {@link DEMO_APPROVAL_SITE}) over whatever policy is current, as `clients`
 * (an Admin).
 */
async function setDemoApprovalPolicy(
  clients: SpireMgmtClients,
  sites: LocalSites,
): Promise<void> {
  const site = sites.sites.find(s => s.name === DEMO_APPROVAL_SITE);
  if (!site) {
    throw new Error(`the demo has no site ${DEMO_APPROVAL_SITE}`);
  }
  const current = await clients.entryRequests.getApprovalPolicy({});
  await clients.entryRequests.updateApprovalPolicy({
    policy: {
      ...current,
      sites: [
        ...current.sites.filter(s => s.siteId !== site.id),
        create(SiteApprovalPolicySchema, {
          siteId: site.id,
          mode: ApprovalMode.DEVELOPER_CHANGES,
          approvalsRequired: 1,
        }),
      ],
    },
  });
}

/**
 * A user of the demo catalog (`backstage-plugin-bridge/catalog/demo-org.yaml`).
 *
 * @public
 */
export interface DemoCatalogUser {
  name: string;
  displayName: string;
  description: string;
  groups: string[];
}

/**
 * The demo catalog's users, read from `catalog/demo-org.yaml`.
 *
 * @public
 */
export function demoCatalogUsers(): DemoCatalogUser[] {
  const file = join(WORKSPACE, 'catalog/demo-org.yaml');
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map(doc => doc.toJS())
    .filter(entity => entity?.kind === 'User')
    .map(entity => ({
      name: entity.metadata.name,
      displayName: entity.spec?.profile?.displayName ?? entity.metadata.name,
      description: entity.metadata.description ?? '',
      groups: entity.spec?.memberOf ?? [],
    }));
}

/**
 * Signs in to the demo Backstage as a demo user through its development-only `demo` provider, as the app's
 * sign-in page does; returns the user's Backstage token. Fails with the backend's answer (e.g. a user not in the
 * catalog).
 *
 * @public
 */
export async function signInAsDemoUser(
  backstageUrl: string,
  user: string,
): Promise<string> {
  const res = await fetch(`${backstageUrl}/api/auth/demo/refresh`, {
    headers: {
      'x-spire-mgmt-demo-user': user,
      'x-requested-with': 'XMLHttpRequest',
    },
  });
  if (!res.ok) {
    throw new Error(
      `sign-in as ${user}: HTTP ${res.status} ${await res.text()}`,
    );
  }
  const body = await res.json();
  return body.backstageIdentity.token as string;
}

/**
 * The spire-mgmt clients a browser signed in with `token` uses: the backend plugin's gRPC-Web route.
 *
 * @public
 */
export function clientsThroughBackstage(
  backstageUrl: string,
  token: string,
): SpireMgmtClients {
  return createSpireMgmtClients(
    createSpireMgmtTransport({
      baseUrl: `${backstageUrl}/api/spire-mgmt/grpc`,
      token,
    }),
  );
}

/**
 * The whole local system: the demo Backstage (app and backend, `yarn start`), the spire-mgmt backend on its
 * embedded PostgreSQL behind Envoy, trusting the Backstage backend plugin's JWKS, and two sites, each a real SPIRE
 * server with its site agent.
 *
 * @public
 */
export interface DemoSystem {
  appUrl: string;
  backstageUrl: string;
  stack: SpireMgmtTestStack;
  sites: LocalSites;
  /** Where every process logs (`backstage.log`, `backend.log`, `envoy.log`, `<site>/server.log`, `<site>/agent.log`). */
  logDir: string;
  /** Settles with a message when any part ends without {@link DemoSystem.stop}. */
  exited: Promise<string>;
  /** Stops the sites, Envoy and the backend (then its database), then Backstage. */
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return res.ok;
}

/**
 * Starts the {@link DemoSystem}. Needs the backend, the dev module and the site agent packaged (as `./demo.sh`
 * packages them), the workspace installed and generated, ports 3000 and 7007 free, and `spire-server` and Envoy
 * (built or installed on first use).
 *
 * @public
 */
export async function startDemoSystem(
  options: {
    onProgress?: (step: string) => void;
    /** Aborting it stops what has started and fails the start (checked between steps and while waiting). */
    signal?: AbortSignal;
  } = {},
): Promise<DemoSystem> {
  const onProgress = options.onProgress ?? (() => {});
  const checkAborted = () => {
    if (options.signal?.aborted) {
      throw new ProcessExited(`interrupted: ${options.signal.reason}`);
    }
  };
  const logDir = mkdtempSync(join(tmpdir(), 'spire-mgmt-demo-'));
  let backstage: ChildProcess | undefined;
  let stack: SpireMgmtTestStack | undefined;
  let sites: LocalSites | undefined;
  const stop = async () => {
    await sites?.stop();
    await stack?.stop();
    await stopProcess(backstage);
  };
  try {
    const envoyPort = await freePort();
    const backstageLog = join(logDir, 'backstage.log');
    onProgress(`Backstage (yarn start; log ${backstageLog})`);
    backstage = startLoggedGroup(
      process.execPath,
      [YARN, 'start'],
      backstageLog,
      {
        cwd: WORKSPACE,
        env: {
          ...process.env,
          PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
          APP_CONFIG_spireMgmt_envoyUrl: `http://127.0.0.1:${envoyPort}`,
        },
      },
    );
    const started = backstage;
    await waitFor('the Backstage backend', 300_000, async () => {
      checkAborted();
      alive(started, 'Backstage (yarn start)', backstageLog);
      return answers(`${DEMO_BACKSTAGE_URL}/.backstage/health/v1/readiness`);
    });

    checkAborted();
    onProgress('the spire-mgmt backend (embedded PostgreSQL) and Envoy');
    stack = await startSpireMgmtTestStack({
      envoyPort,
      backendEnv: {
        MP_JWT_VERIFY_PUBLICKEY_LOCATION: `${DEMO_BACKSTAGE_URL}/api/spire-mgmt/.well-known/jwks.json`,
        MP_JWT_VERIFY_ISSUER: `${DEMO_BACKSTAGE_URL}/api/spire-mgmt`,
      },
      logDir,
    });

    checkAborted();
    onProgress(`two SPIRE servers and their site agents (as ${LAUNCHER_USER})`);
    // The catalog reads the demo users shortly after the backend starts: sign-in fails until then.
    let token = '';
    await waitFor(`sign-in as ${LAUNCHER_USER}`, 120_000, async () => {
      checkAborted();
      alive(started, 'Backstage (yarn start)', backstageLog);
      token = await signInAsDemoUser(DEMO_BACKSTAGE_URL, LAUNCHER_USER);
      return true;
    });
    const launcher = clientsThroughBackstage(DEMO_BACKSTAGE_URL, token);
    sites = await startLocalSites({
      clients: launcher,
      backendPort: stack.backendPort,
      dir: logDir,
      sites: DEMO_SITES,
    });
    await setDemoApprovalPolicy(launcher, sites);

    checkAborted();
    onProgress('the app (the first build takes a few minutes)');
    await waitFor('the Backstage app', 600_000, async () => {
      checkAborted();
      alive(started, 'Backstage (yarn start)', backstageLog);
      return answers(DEMO_APP_URL);
    });
    return {
      appUrl: DEMO_APP_URL,
      backstageUrl: DEMO_BACKSTAGE_URL,
      stack,
      sites,
      logDir,
      exited: Promise.race([
        exitOf(started, 'Backstage (yarn start)', backstageLog),
        stack.exited,
        sites.exited,
      ]),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The demo command (`scripts/demo`): starts the {@link DemoSystem}, prints the app's URL and the demo users, and
 * stops everything on Ctrl-C (SIGINT) or SIGTERM, and when any part ends (then it exits with status 1).
 *
 * @public
 */
export async function runDemo(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const interrupt = new AbortController();
  const interrupted = new Promise<string>(r => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        interrupt.abort(signal);
        r(`${signal}: stopping everything`);
      });
    }
  });
  const began = Date.now();
  let system: DemoSystem;
  try {
    system = await startDemoSystem({
      onProgress: step => log(`starting ${step} ...`),
      signal: interrupt.signal,
    });
  } catch (e) {
    log(`the demo did not start: ${(e as Error).message}`);
    process.exitCode = 1;
    return;
  }
  const seconds = Math.round((Date.now() - began) / 1000);
  log('');
  log(
    `spire-mgmt demo ready after ${seconds} s: open ${system.appUrl} and sign in as one of`,
  );
  for (const user of demoCatalogUsers()) {
    log(
      `  ${user.displayName} (${user.name}, group ${user.groups.join(', ')}): ${
        user.description
      }`,
    );
  }
  log(
    `sites: ${system.sites.sites.map(s => `${s.name} (${s.id})`).join(', ')}`,
  );
  log(
    `approval: a Developer's change to ${DEMO_APPROVAL_SITE} waits for an Operator's approval; the other site needs none`,
  );
  log(`logs: ${system.logDir}`);
  log('Ctrl-C stops everything.');
  // A Ctrl-C in the terminal reaches the processes in its foreground group too: their ends are not failures then.
  const failed = system.exited.then(why =>
    interrupt.signal.aborted
      ? `${interrupt.signal.reason}: stopping everything`
      : `failed: ${why}`,
  );
  const reason = await Promise.race([interrupted, failed]);
  log(reason);
  if (reason.startsWith('failed')) {
    process.exitCode = 1;
  }
  await system.stop();
  log('stopped');
}
