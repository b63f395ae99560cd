import { act } from '@testing-library/react';

/**
 * A server stream for component tests: what a test pushes is yielded to the one open iteration, which
 * ends when its signal aborts or with the error the test fails it with. Records the options of every open.
 */
export class PushStream<T, O extends { signal: AbortSignal }> {
  readonly opened: O[] = [];
  private readonly queue: T[] = [];
  private error: unknown;
  private wake: () => void = () => {};

  /** Whether the latest iteration is still open (not aborted). */
  get open(): boolean {
    const last = this.opened[this.opened.length - 1];
    return last !== undefined && !last.signal.aborted;
  }

  /** The options of the iterations still open (not aborted), in order. */
  get stillOpen(): O[] {
    return this.opened.filter(o => !o.signal.aborted);
  }

  async *iterate(options: O): AsyncIterable<T> {
    this.opened.push(options);
    options.signal.addEventListener('abort', () => this.wake());
    while (!options.signal.aborted) {
      if (this.error !== undefined) {
        throw this.error;
      }
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
      } else {
        await new Promise<void>(resolve => {
          this.wake = resolve;
        });
      }
    }
  }

  async push(...messages: T[]) {
    await act(async () => {
      this.queue.push(...messages);
      this.wake();
    });
  }

  async fail(error: unknown) {
    await act(async () => {
      this.error = error;
      this.wake();
    });
  }
}
