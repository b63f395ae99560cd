import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  NotificationSendOptions,
  NotificationService,
  notificationService,
} from '@backstage/plugin-notifications-node';

/**
 * A test double standing in for the notifications-node `NotificationService` (which posts to the notifications
 * backend of the same Backstage): it records what it is asked to send, and can be told to fail sends as the
 * notifications backend does when it is down.
 */
export class RecordingNotificationServiceDouble implements NotificationService {
  readonly sent: NotificationSendOptions[] = [];
  /** How many sends failed on purpose. */
  failed = 0;
  private failures = 0;

  /** A factory that installs this double as the `notificationService` of a test backend. */
  factory() {
    return createServiceFactory({
      service: notificationService,
      deps: {},
      factory: () => this,
    });
  }

  /** The next `count` sends fail (and record nothing). */
  failNextSends(count: number): void {
    this.failures = count;
  }

  async send(options: NotificationSendOptions): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      this.failed += 1;
      throw new Error(
        'Failed to send notifications: Error: Request failed with status 503',
      );
    }
    this.sent.push(options);
  }
}
