/**
 * Calls `attempt` every `intervalMs` (default 250 ms) until it returns a value (not undefined), and returns
 * that value; fails naming `what` after `timeoutMs`. For tests waiting on a real system: an await on a
 * condition, never a fixed sleep. An error thrown by `attempt` fails it at once.
 *
 * @public
 */
export async function until<T>(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) {
      return result;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not after ${timeoutMs} ms`);
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until `check` holds, asking again every 20 ms, and fails naming `what` when it still does not after
 * `timeoutMs` (default 10 s): {@link until} for a yes/no condition.
 *
 * @public
 */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  await until(
    what,
    timeoutMs,
    async () => ((await check()) ? true : undefined),
    20,
  );
}
