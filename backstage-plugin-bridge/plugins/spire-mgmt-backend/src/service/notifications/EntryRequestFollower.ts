import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { Client, Transport } from '@connectrpc/connect';
import {
  createSpireMgmtClient,
  EntryRequestService,
  EntryRequestUpdate,
  getSpireMgmtErrorDetails,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { setTimeout as wait } from 'node:timers/promises';
import { SpireMgmtNotificationsConfig } from '../config';
import { entryRequestNotifications } from './entryRequestNotifications';
import { StreamCursorStore } from './StreamCursorStore';

/** What the follower needs. */
export interface EntryRequestFollowerOptions {
  /** A transport to the spire-mgmt API whose calls carry the plugin's own token (a fresh one per call). */
  transport: Transport;
  /** Where the follower keeps its cursor. */
  cursors: StreamCursorStore;
  /** Where the notifications go. */
  notifications: NotificationService;
  settings: SpireMgmtNotificationsConfig;
  logger: LoggerService;
  /** The wait before reopening a stream that failed, doubled per failure in a row. Default 1000. */
  retryDelayMs?: number;
  /** The longest such wait. Default 60000. */
  maxRetryDelayMs?: number;
  /** Milliseconds since the epoch; a test moves it. */
  clock?: () => number;
}

/**
 * A stream that ends UNAUTHENTICATED after being open this long ended because its token expired; sooner, the
 * token was refused (the service does not trust the plugin's keys, say), which is retried with backoff.
 */
const EXPIRY_AFTER_MS = 1000;

/** Another follower moved the cursor: this one must stop rather than send what that one sends. */
class CursorMovedElsewhere extends Error {}

/**
 * Follows `StreamEntryRequestUpdates` and sends the notifications each update calls for
 * ({@link entryRequestNotifications}), then stores the update's cursor. An update's notifications are sent
 * before its cursor moves, so none is lost: a send that fails, or a crash in between, has the update read
 * again from the stored cursor and its notifications sent again (they carry a scope, so the notifications
 * backend updates the user's notification rather than adding a second one).
 *
 * A broken stream, a refused call or a failed send is retried from the stored cursor after a backoff (1 s
 * doubling to 60 s); a stream the service ends because the plugin's token expired (UNAUTHENTICATED) is reopened
 * at once with a fresh token. A cursor older than the service keeps (OUT_OF_RANGE `CURSOR_EXPIRED`, after a
 * week without a follower) is dropped: the follower goes on from now, and what happened in between is not
 * notified.
 */
export class EntryRequestFollower {
  private readonly client: Client<typeof EntryRequestService>;
  private readonly firstDelay: number;
  private readonly maxDelay: number;
  private readonly clock: () => number;

  constructor(private readonly options: EntryRequestFollowerOptions) {
    this.client = createSpireMgmtClient(EntryRequestService, options.transport);
    this.firstDelay = options.retryDelayMs ?? 1000;
    this.maxDelay = options.maxRetryDelayMs ?? 60_000;
    this.clock = options.clock ?? Date.now;
  }

  /** Follows the stream until `signal` aborts (or another follower moved the cursor); never throws. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    let delay = this.firstDelay;
    while (!signal.aborted) {
      let cursor: string | undefined;
      const openedAt = this.clock();
      try {
        cursor = await this.options.cursors.read();
        for await (const update of this.client.streamEntryRequestUpdates(
          { cursor: cursor ?? '' },
          { signal },
        )) {
          await this.handle(update);
          if (!(await this.options.cursors.move(cursor, update.cursor))) {
            throw new CursorMovedElsewhere();
          }
          cursor = update.cursor;
          delay = this.firstDelay;
        }
        // The service ended the stream: open it again (after a pause, should it keep doing so).
      } catch (e) {
        if (signal.aborted) {
          return;
        }
        if (e instanceof CursorMovedElsewhere) {
          logger.info(
            'spire-mgmt notifications: another follower moved the entry request cursor; this one stops',
          );
          return;
        }
        const details = getSpireMgmtErrorDetails(e);
        if (details?.reason === 'CURSOR_EXPIRED') {
          logger.warn(
            'spire-mgmt notifications: the stored entry request cursor is older than the service keeps; following from now on, changes in between are not notified',
          );
          await this.forget(cursor);
          continue;
        }
        // The service ends a stream when its token expires; the next call carries a fresh one.
        if (
          details?.code === 'UNAUTHENTICATED' &&
          this.clock() - openedAt >= EXPIRY_AFTER_MS
        ) {
          continue;
        }
        logger.warn(
          `spire-mgmt notifications: following entry requests failed, again in ${
            delay / 1000
          } s: ${e}`,
        );
      }
      // Rejects when the signal aborts, which ends the loop.
      await wait(delay, undefined, { signal }).catch(() => undefined);
      delay = Math.min(delay * 2, this.maxDelay);
    }
  }

  private async handle(update: EntryRequestUpdate): Promise<void> {
    for (const notification of entryRequestNotifications(
      update,
      this.options.settings,
    )) {
      await this.options.notifications.send(notification);
    }
  }

  private async forget(cursor: string | undefined): Promise<void> {
    try {
      await this.options.cursors.move(cursor, undefined);
    } catch (e) {
      this.options.logger.warn(
        `spire-mgmt notifications: could not drop the expired cursor: ${e}`,
      );
    }
  }
}
