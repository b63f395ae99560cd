import { useCallback, useEffect, useRef, useState } from 'react';

/** A value read once and kept up to date from a stream of changes. */
export interface LiveValue<T> {
  /** Undefined while the first read is under way. */
  value?: T;
  /** The read failed: there is no value. */
  error?: unknown;
  /** The stream was refused or ended with an error: the value stands as last updated. */
  streamError?: unknown;
  /** Reads and follows again. */
  reload: () => void;
}

/** How {@link useLiveValue} reads, follows and ends. */
export interface LiveValueSource<T, U> {
  /** Reads the value. */
  read: () => Promise<T>;
  /** Opens the stream of changes (it ends when `signal` aborts). */
  follow: (signal: AbortSignal) => AsyncIterable<U>;
  /** The value after a change; returns `value` itself when the change is not about it. */
  apply: (value: T, update: U) => T;
  /** Whether the value will not change any more: the stream is then closed. */
  settled: (value: T) => boolean;
}

/**
 * How long after the first read an unsettled value is read once more (see {@link useLiveValue}).
 */
export const LIVE_VALUE_REREAD_MS = 3_000;

/**
 * Reads a value and follows its changes: the stream is opened first and the changes it brings before the
 * read answers are applied over the read, so a change committed while the value was being read is not
 * lost. Opening the stream first does not say when the service has registered it (the stream answers
 * nothing until its first change): a change committed after the read but before that registration would
 * be missed, and a page could wait forever on a change that already happened (seen in the browser tests,
 * one run in eight). So a value not settled `rereadMs` after the first read is read once more, the
 * changes arriving meanwhile again applied over it. The stream closes when the value is settled, when
 * `key` changes and on unmount. The source's functions are taken from the latest render; `key` says when
 * to start again.
 */
export function useLiveValue<T, U>(
  key: string,
  source: LiveValueSource<T, U>,
  rereadMs: number = LIVE_VALUE_REREAD_MS,
): LiveValue<T> {
  const sourceRef = useRef(source);
  sourceRef.current = source;
  const [state, setState] = useState<Omit<LiveValue<T>, 'reload'>>({});
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const { read, follow, apply, settled } = sourceRef.current;
    const controller = new AbortController();
    let value: T | undefined;
    // Changes that arrive while a read is under way, applied over its answer.
    let early: U[] | undefined = [];
    let reread: ReturnType<typeof setTimeout> | undefined;
    setState({});
    const show = (next: T) => {
      value = next;
      setState(current => ({ ...current, value: next }));
      if (settled(next)) {
        controller.abort();
      }
    };
    (async () => {
      for await (const update of follow(controller.signal)) {
        early?.push(update);
        if (value !== undefined) {
          const next = apply(value, update);
          if (next !== value) {
            show(next);
          }
        }
      }
    })().catch(streamError => {
      if (!controller.signal.aborted) {
        setState(current => ({ ...current, streamError }));
      }
    });
    const answered = (answer: T) => {
      if (!controller.signal.aborted) {
        show((early ?? []).reduce(apply, answer));
      }
      early = undefined;
    };
    read().then(
      first => {
        answered(first);
        if (!controller.signal.aborted) {
          reread = setTimeout(() => {
            if (controller.signal.aborted) {
              return;
            }
            early = [];
            read().then(answered, () => {
              // The first read stands; the stream keeps it current.
              early = undefined;
            });
          }, rereadMs);
        }
      },
      error => {
        if (!controller.signal.aborted) {
          controller.abort();
          setState({ error });
        }
      },
    );
    return () => {
      clearTimeout(reread);
      controller.abort();
    };
  }, [key, attempt, rereadMs]);

  const reload = useCallback(() => setAttempt(a => a + 1), []);
  return { ...state, reload };
}
