/**
 * Waits until `check` holds, asking again every 20 ms (an await on a condition, never a fixed sleep), and fails
 * naming `what` when it still does not after `timeoutMs` (default 10 s). An error thrown by `check` fails it at
 * once.
 *
 * @public
 */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: not after ${timeoutMs} ms`);
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}
