import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port free on loopback now.
 *
 * @public
 */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

/** A process of the stack that ended (or never started): waiting for it to get ready stops at once. */
export class ProcessExited extends Error {}

/** Polls `check` every 200 ms until it is true; a {@link ProcessExited} from it ends the wait at once. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ready = false;
    try {
      ready = await check();
    } catch (e) {
      if (e instanceof ProcessExited) {
        throw e;
      }
      // not listening yet
    }
    if (ready) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
    }
    await new Promise(r => setTimeout(r, 200));
  }
}

const spawnErrors = new WeakMap<ChildProcess, Error>();

/** Spawns `command`, keeping a failure to start it (e.g. no such file) for {@link alive} to report. */
export function start(
  command: string,
  args: string[],
  options: SpawnOptions,
): ChildProcess {
  const child = spawn(command, args, options);
  child.once('error', e => spawnErrors.set(child, e));
  return child;
}

/** Spawns `command` with its standard output and error appended to `log`. */
export function startLogged(
  command: string,
  args: string[],
  log: string,
  options: Omit<SpawnOptions, 'stdio'> = {},
): ChildProcess {
  const out = openSync(log, 'a');
  try {
    return start(command, args, { ...options, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

/** Throws {@link ProcessExited} when `process` did not start or has ended. */
export function alive(process: ChildProcess, name: string, log: string): void {
  const error = spawnErrors.get(process);
  if (error) {
    throw new ProcessExited(`${name} did not start: ${error.message}`);
  }
  if (process.exitCode !== null || process.signalCode !== null) {
    throw new ProcessExited(
      `${name} exited (${process.exitCode ?? process.signalCode}); see ${log}`,
    );
  }
}

function ended(process: ChildProcess): boolean {
  return (
    spawnErrors.has(process) ||
    process.exitCode !== null ||
    process.signalCode !== null
  );
}

/**
 * Resolves with a message naming `name` and its log when `process` ends or fails to start, whatever the cause:
 * callers that did not stop it themselves learn that a part of the stack is gone.
 */
export function exitOf(
  process: ChildProcess,
  name: string,
  log: string,
): Promise<string> {
  const message = () => {
    const error = spawnErrors.get(process);
    return error
      ? `${name} did not start: ${error.message}`
      : `${name} exited (${
          process.exitCode ?? process.signalCode
        }); see ${log}`;
  };
  if (ended(process)) {
    return Promise.resolve(message());
  }
  return new Promise(r => {
    process.once('exit', () => r(message()));
    process.once('error', () => r(message()));
  });
}

const groupLeaders = new WeakSet<ChildProcess>();

/**
 * Like {@link startLogged}, in a process group of its own (`detached`), so that {@link stopProcess} stops the
 * whole tree the command starts (e.g. `yarn start`'s dev servers), and a Ctrl-C meant for the launcher does not
 * reach it before the launcher stops it.
 */
export function startLoggedGroup(
  command: string,
  args: string[],
  log: string,
  options: Omit<SpawnOptions, 'stdio' | 'detached'> = {},
): ChildProcess {
  const child = startLogged(command, args, log, { ...options, detached: true });
  groupLeaders.add(child);
  return child;
}

/**
 * SIGTERM (to its whole process group when it was started by {@link startLoggedGroup}), SIGKILL after 30 s;
 * resolves when it has exited.
 */
export async function stopProcess(
  process: ChildProcess | undefined,
): Promise<void> {
  if (!process || spawnErrors.has(process)) {
    return;
  }
  const group = groupLeaders.has(process) && process.pid !== undefined;
  const signal = (name: NodeJS.Signals) => {
    try {
      if (group) {
        // The leader may be gone while its group lives on: signal the group regardless.
        globalThis.process.kill(-process.pid!, name);
      } else {
        process.kill(name);
      }
    } catch {
      // already gone
    }
  };
  const exited = ended(process)
    ? Promise.resolve()
    : new Promise<void>(r => process.once('exit', () => r()));
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 30_000);
  await exited;
  if (group) {
    // The leader (e.g. yarn) may go first: wait for the rest of its group (e.g. the dev servers) too.
    await waitFor('the process group to end', 35_000, async () => {
      try {
        globalThis.process.kill(-process.pid!, 0);
        return false;
      } catch {
        return true;
      }
    });
  }
  clearTimeout(timer);
}
