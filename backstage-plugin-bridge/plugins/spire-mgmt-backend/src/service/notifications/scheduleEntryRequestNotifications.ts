import {
  LifecycleService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { HumanDuration } from '@backstage/types';
import { EntryRequestFollower } from './EntryRequestFollower';

/** The scheduler task that follows the entry request stream (one run at a time across all replicas). */
export const NOTIFICATIONS_TASK_ID = 'spire-mgmt-entry-request-notifications';

/**
 * How long one run follows the stream: the task's timeout, after which the run stops and the next one (on
 * whichever replica claims it first, a few seconds later) resumes from the stored cursor. It bounds the
 * take-over when the replica following dies (its claim lapses after this, and the scheduler's janitor frees
 * it within a minute), at the cost of one reconnect per window.
 */
export const FOLLOW_WINDOW: HumanDuration = { minutes: 2 };

/** Options of {@link scheduleEntryRequestNotifications}. */
export interface ScheduleEntryRequestNotificationsOptions {
  scheduler: SchedulerService;
  lifecycle: LifecycleService;
  logger: LoggerService;
  follower: EntryRequestFollower;
  /** The follow window; default {@link FOLLOW_WINDOW}. */
  window?: HumanDuration;
  /** The pause between a run and the next claim; default 5 seconds. */
  pause?: HumanDuration;
}

/**
 * Runs the follower as a global scheduler task: the scheduler's lock in the database lets one replica follow
 * at a time, and hands the task to another when that one stops or dies. At shutdown the run in progress is
 * stopped and awaited (its stream closed, its last cursor written).
 */
export async function scheduleEntryRequestNotifications(
  options: ScheduleEntryRequestNotificationsOptions,
): Promise<void> {
  const { scheduler, lifecycle, logger, follower } = options;
  const shutdown = new AbortController();
  const running = new Set<Promise<void>>();
  lifecycle.addShutdownHook(async () => {
    shutdown.abort();
    await Promise.all(running);
  });
  await scheduler.scheduleTask({
    id: NOTIFICATIONS_TASK_ID,
    scope: 'global',
    frequency: options.pause ?? { seconds: 5 },
    timeout: options.window ?? FOLLOW_WINDOW,
    signal: shutdown.signal,
    fn: async taskSignal => {
      const run = follower.run(AbortSignal.any([taskSignal, shutdown.signal]));
      running.add(run);
      try {
        await run;
      } finally {
        running.delete(run);
      }
    },
  });
  logger.info(
    'spire-mgmt: notifications on; following entry requests from the spire-mgmt API',
  );
}
