import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  SiteStatus,
  SpireMgmtClients,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { ChildProcess, execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  alive,
  exitOf,
  freePort,
  startLogged,
  stopProcess,
  waitFor,
} from './processes';
import { REPO_ROOT } from './testStack';

const run = promisify(execFile);

const AGENT_JAR = join(
  REPO_ROOT,
  'site-agent/target/quarkus-app/quarkus-run.jar',
);

/**
 * The `spire-server` binary: `SPIRE_MGMT_SPIRE_SERVER` when set, else the one `tools/spire/install.sh` builds from
 * the Go module proxy once per machine (about 5 minutes on 2 cores the first time).
 *
 * @public
 */
export function spireServerBinary(): string {
  const configured = process.env.SPIRE_MGMT_SPIRE_SERVER;
  if (configured) {
    return configured;
  }
  const out = execFileSync(
    join(REPO_ROOT, 'tools/spire/install.sh'),
    ['server'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return out.trim().split('\n').pop()!;
}

/**
 * A registration entry as `spire-server entry show -output json` prints it (the fields the stack reads).
 *
 * @public
 */
export interface SpireServerEntry {
  id: string;
  spiffe_id: { trust_domain: string; path: string };
  selectors: { type: string; value: string }[];
}

/**
 * A real `spire-server` on loopback: its own data directory, sqlite datastore and admin socket; the site agent's
 * SPIFFE ID (`spiffe://<trust domain>/site-agent`) in its `admin_ids`, as the Java end-to-end tests configure it.
 *
 * @public
 */
export interface SpireServerProcess {
  /** The trust domain it serves. */
  trustDomain: string;
  /** The admin Unix socket (what a site agent's `AGENT_SPIRE_SOCKET` names). */
  socketPath: string;
  /** Every registration entry of the server, read with the `spire-server` CLI. */
  entries(): Promise<SpireServerEntry[]>;
  /** Settles with a message when the server ends (see {@link SpireMgmtTestStack.exited}). */
  exited: Promise<string>;
  /** Stops the server (SIGTERM); its data stays in its folder. */
  stop(): Promise<void>;
}

/**
 * Starts a `spire-server` for `trustDomain` in `dir` (created; the socket path must stay under the 108 bytes of a
 * Unix socket address, so keep `dir` short) and waits until it answers its health check.
 *
 * @public
 */
export async function startSpireServer(options: {
  trustDomain: string;
  dir: string;
  binary?: string;
}): Promise<SpireServerProcess> {
  const { trustDomain, dir } = options;
  const binary = options.binary ?? spireServerBinary();
  mkdirSync(dir, { recursive: true });
  const socketPath = join(dir, 'api.sock');
  const config = join(dir, 'server.conf');
  writeFileSync(
    config,
    `server {
  bind_address = "127.0.0.1"
  bind_port = "${await freePort()}"
  socket_path = "${socketPath}"
  trust_domain = "${trustDomain}"
  data_dir = "${join(dir, 'data')}"
  log_level = "WARN"
  admin_ids = ["spiffe://${trustDomain}/site-agent"]
}
plugins {
  DataStore "sql" {
    plugin_data {
      database_type = "sqlite3"
      connection_string = "${join(dir, 'datastore.sqlite3')}"
    }
  }
  NodeAttestor "join_token" {
    plugin_data {}
  }
  KeyManager "memory" {
    plugin_data {}
  }
}
`,
  );
  const log = join(dir, 'server.log');
  const server = startLogged(binary, ['run', '-config', config], log);
  const cli = async (...args: string[]) =>
    (await run(binary, [...args, '-socketPath', socketPath])).stdout;
  const stop = () => stopProcess(server);
  try {
    await waitFor(`spire-server (${trustDomain})`, 60_000, async () => {
      alive(server, `spire-server (${trustDomain})`, log);
      return (
        existsSync(socketPath) && (await cli('healthcheck')).includes('healthy')
      );
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    trustDomain,
    socketPath,
    async entries() {
      const out = await cli('entry', 'show', '-output', 'json');
      return (JSON.parse(out).entries ?? []) as SpireServerEntry[];
    },
    exited: exitOf(server, `spire-server (${trustDomain})`, log),
    stop,
  };
}

/**
 * The packaged site agent (`site-agent/target/quarkus-app`) for one site, pulling from the backend over plaintext
 * loopback with a bearer token in `tokenFile`, applying to the SPIRE server at `spireSocket`.
 *
 * @public
 */
export interface SiteAgentProcess {
  /** Settles with a message when the agent ends. */
  exited: Promise<string>;
  /** Stops the agent (SIGTERM). */
  stop(): Promise<void>;
}

/**
 * Starts the site agent and waits until it is ready (`/q/health/ready`). Needs the agent packaged first
 * (`./mvnw -B -pl site-agent -am package -DskipTests`).
 *
 * @public
 */
export async function startSiteAgent(options: {
  siteId: string;
  backendPort: number;
  tokenFile: string;
  spireSocket: string;
  log: string;
}): Promise<SiteAgentProcess> {
  if (!existsSync(AGENT_JAR)) {
    throw new Error(
      `${AGENT_JAR} is missing: package the site agent first (in ${REPO_ROOT}: ./mvnw -B -pl site-agent -am package -DskipTests)`,
    );
  }
  const port = await freePort();
  const java = process.env.JAVA_HOME
    ? join(process.env.JAVA_HOME, 'bin/java')
    : 'java';
  const agent: ChildProcess = startLogged(
    java,
    ['-jar', AGENT_JAR],
    options.log,
    {
      env: {
        ...process.env,
        QUARKUS_HTTP_PORT: String(port),
        AGENT_SITE_ID: options.siteId,
        AGENT_BACKEND_ADDRESS: `127.0.0.1:${options.backendPort}`,
        AGENT_BACKEND_TOKEN_FILE: options.tokenFile,
        // The local backend serves plaintext on loopback: a token may go there only with both of these.
        AGENT_BACKEND_TLS: 'false',
        AGENT_BACKEND_ALLOW_PLAINTEXT_TOKEN: 'true',
        AGENT_SPIRE_SOCKET: options.spireSocket,
      },
    },
  );
  const stop = () => stopProcess(agent);
  try {
    await waitFor('the site agent', 120_000, async () => {
      alive(agent, 'the site agent', options.log);
      const res = await fetch(`http://127.0.0.1:${port}/q/health/ready`);
      return res.status === 200;
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { exited: exitOf(agent, 'the site agent', options.log), stop };
}

/**
 * One local site of the stack: its SPIRE server, the site created in the service, and its agent.
 *
 * @public
 */
export interface LocalSite {
  /** The site's id in the service. */
  id: string;
  name: string;
  spire: SpireServerProcess;
  agent: SiteAgentProcess;
}

/**
 * Local sites: what {@link startLocalSites} started, and how to stop it.
 *
 * @public
 */
export interface LocalSites {
  sites: LocalSite[];
  /** Settles with a message when any SPIRE server or agent ends. */
  exited: Promise<string>;
  /** Stops the agents, then the SPIRE servers. */
  stop(): Promise<void>;
}

/**
 * For each `{name, region, trustDomain}`: starts a SPIRE server, creates the ACTIVE site in the service, gives it a
 * SiteAgent API key scoped to the site (written to a file only the agent reads), and starts its site agent.
 * `clients` must act as an Admin (sites and API keys). Everything under `dir`.
 *
 * @public
 */
export async function startLocalSites(options: {
  clients: SpireMgmtClients;
  backendPort: number;
  dir: string;
  sites: { name: string; region: string; trustDomain: string }[];
}): Promise<LocalSites> {
  const started: LocalSite[] = [];
  const parts: { exited: Promise<string>; stop(): Promise<void> }[] = [];
  const stop = async () => {
    // Agents first (they would only log the SPIRE server's absence), newest first.
    for (const part of parts.reverse()) {
      await part.stop();
    }
  };
  try {
    for (const spec of options.sites) {
      const spire = await startSpireServer({
        trustDomain: spec.trustDomain,
        dir: join(options.dir, spec.name),
      });
      parts.push(spire);
      const site = await options.clients.sites.createSite({
        site: {
          name: spec.name,
          region: spec.region,
          trustDomain: spec.trustDomain,
          spireServerAddr: `unix://${spire.socketPath}`,
          status: SiteStatus.ACTIVE,
        },
      });
      const key = await options.clients.apiKeys.createApiKey({
        apiKey: {
          name: `site-agent-${spec.name}`,
          role: 'SiteAgent',
          siteId: site.id,
          expireTime: timestampFromDate(
            new Date(Date.now() + 30 * 24 * 3600 * 1000),
          ),
        },
      });
      const tokenFile = join(options.dir, spec.name, 'agent.token');
      writeFileSync(tokenFile, `${key.secret}\n`, { mode: 0o600 });
      const agent = await startSiteAgent({
        siteId: site.id,
        backendPort: options.backendPort,
        tokenFile,
        spireSocket: spire.socketPath,
        log: join(options.dir, spec.name, 'agent.log'),
      });
      parts.push(agent);
      started.push({ id: site.id, name: spec.name, spire, agent });
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    sites: started,
    exited: Promise.race(parts.map(p => p.exited)),
    stop,
  };
}
