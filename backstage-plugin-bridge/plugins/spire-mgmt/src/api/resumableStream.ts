import { getSpireMgmtErrorDetails } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** How {@link resumableStream} waits between attempts to reopen a broken stream. */
export interface StreamRetryDelays {
  /** The wait before the first attempt, doubled per failed attempt. */
  firstMs: number;
  /** The longest wait between attempts. */
  maxMs: number;
}

// Failures of the connection or of a replica, not of the request: the stream is opened again from its cursor.
const RESUMABLE_CODES = new Set([
  'UNAVAILABLE',
  'UNKNOWN',
  'INTERNAL',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'ABORTED',
]);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/**
 * A server stream of the spire-mgmt API whose messages carry a resume cursor, followed for as long as `signal`
 * is not aborted: `open(cursor)` is called again after a backoff when the stream breaks (a connection or
 * replica failure, see RESUMABLE_CODES), from the last cursor seen, so no message is lost or repeated. The
 * service ends open streams with UNAUTHENTICATED when the token they started with expires; the next call
 * carries a fresh one, so one such end is resumed too, two in a row are not. Any other error (the service
 * refusing the stream itself) ends the iteration with that error; an abort ends it without one.
 */
export async function* resumableStream<M extends { cursor: string }>(
  open: (cursor: string, signal: AbortSignal) => AsyncIterable<M>,
  options: { cursor?: string; signal: AbortSignal },
  delays: StreamRetryDelays,
): AsyncIterable<M> {
  const { signal } = options;
  let cursor = options.cursor ?? '';
  let delay = delays.firstMs;
  let unauthenticatedInARow = 0;
  while (!signal.aborted) {
    try {
      for await (const message of open(cursor, signal)) {
        cursor = message.cursor || cursor;
        delay = delays.firstMs;
        unauthenticatedInARow = 0;
        yield message;
      }
    } catch (e) {
      if (signal.aborted) {
        return;
      }
      const code = getSpireMgmtErrorDetails(e)?.code ?? 'UNKNOWN';
      const expiredToken =
        code === 'UNAUTHENTICATED' && ++unauthenticatedInARow < 2;
      if (!RESUMABLE_CODES.has(code) && !expiredToken) {
        throw e;
      }
    }
    await sleep(delay, signal);
    delay = Math.min(delay * 2, delays.maxMs);
  }
}
