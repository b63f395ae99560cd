import { SyncUpdate } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { act } from '@testing-library/react';
import { SpireMgmtSyncUpdatesOptions } from '../api';

/**
 * A test double of `SpireMgmtApi.streamSyncUpdates` (for component tests, which mock the API): it records the
 * streams opened, and the test pushes updates into them or makes them fail, inside `act`.
 */
export class SyncStreamDouble {
  /** The options of every stream opened, in order. */
  readonly streams: SpireMgmtSyncUpdatesOptions[] = [];
  private readonly queue: SyncUpdate[] = [];
  private error: unknown;
  private wake: () => void = () => {};

  /** The `streamSyncUpdates` method to put into the mocked API. */
  readonly streamSyncUpdates = (
    options: SpireMgmtSyncUpdatesOptions,
  ): AsyncIterable<SyncUpdate> => this.stream(options);

  private async *stream(
    options: SpireMgmtSyncUpdatesOptions,
  ): AsyncIterable<SyncUpdate> {
    this.streams.push(options);
    options.signal.addEventListener('abort', () => this.wake());
    while (!options.signal.aborted) {
      if (this.error) {
        throw this.error;
      }
      const next = this.queue.shift();
      if (next) {
        yield next;
      } else {
        await new Promise<void>(resolve => {
          this.wake = resolve;
        });
      }
    }
  }

  /** Sends an update on the open stream. */
  async send(update: SyncUpdate) {
    await act(async () => {
      this.queue.push(update);
      this.wake();
    });
  }

  /** Ends the open stream with an error, as when the service refuses it. */
  async fail(error: unknown) {
    await act(async () => {
      this.error = error;
      this.wake();
    });
  }

  /** The streams not closed yet. */
  get open(): SpireMgmtSyncUpdatesOptions[] {
    return this.streams.filter(s => !s.signal.aborted);
  }
}
