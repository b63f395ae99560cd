import { startDemoSystem } from '@internal/spire-mgmt-test-stack';

/**
 * Starts the whole demo system (as `./demo.sh` does) before the browser tests and returns its stop as the
 * teardown. Needs the backend, dev module and site agent packaged (the Maven build before it in `.ci/run`).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const began = Date.now();
  const system = await startDemoSystem({
    onProgress: step => process.stdout.write(`e2e: starting ${step} ...\n`),
  });
  process.stdout.write(
    `e2e: the demo system is up after ${Math.round(
      (Date.now() - began) / 1000,
    )} s (logs: ${system.logDir})\n`,
  );
  return async () => {
    await system.stop();
  };
}
