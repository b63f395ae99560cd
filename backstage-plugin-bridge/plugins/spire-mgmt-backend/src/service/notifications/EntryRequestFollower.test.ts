import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { eventually } from '@internal/spire-mgmt-test-stack';
import {
  EntryRequestKind,
  EntryRequestSchema,
  EntryRequestState,
  EntryRequestUpdate,
  EntryRequestUpdateSchema,
  EntrySchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { Knex } from 'knex';
import {
  EntryRequestStreamDouble,
  spireMgmtError,
} from '../../testing/EntryRequestStreamDouble';
import { RecordingNotificationServiceDouble } from '../../testing/RecordingNotificationServiceDouble';
import { EntryRequestFollower } from './EntryRequestFollower';
import { StreamCursorStore } from './StreamCursorStore';

jest.setTimeout(60_000);

const settings = {
  approvers: ['group:default/platform'],
  requestPagePath: '/spire-mgmt/requests',
};

/** A stream update: `event` of request `id` (requested by alice, one approval needed), at `cursor`. */
function update(
  cursor: string,
  event: string,
  id: string,
  state = EntryRequestState.PENDING,
): EntryRequestUpdate {
  return create(EntryRequestUpdateSchema, {
    cursor,
    event,
    actor: 'user:default/carol',
    entryRequest: create(EntryRequestSchema, {
      id,
      state,
      kind: EntryRequestKind.CREATE,
      proposedEntry: create(EntrySchema, {
        spiffeId: `spiffe://example.org/ns/payments/sa/${id}`,
      }),
      justification: 'needed',
      requester: 'user:default/alice',
      requesterPerson: 'user:default/alice',
      approvalsRequired: 1,
      decidedBy:
        state === EntryRequestState.PENDING ? '' : 'user:default/carol',
      decisionMessage: 'no',
    }),
  });
}

describe('EntryRequestFollower', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let db: Knex;
  let service: EntryRequestStreamDouble;
  let notifications: RecordingNotificationServiceDouble;
  let logger: ReturnType<typeof mockServices.logger.mock>;
  const running: Array<{ stop: AbortController; done: Promise<void> }> = [];

  beforeEach(async () => {
    db = await databases.init('SQLITE_3');
    await db.migrate.latest({
      directory: resolvePackagePath(
        '@spire-mgmt/backstage-plugin-spire-mgmt-backend',
        'migrations',
      ),
      tableName: 'spire_mgmt_knex_migrations',
    });
    service = new EntryRequestStreamDouble();
    notifications = new RecordingNotificationServiceDouble();
    logger = mockServices.logger.mock();
  });

  afterEach(async () => {
    for (const { stop, done } of running.splice(0)) {
      stop.abort();
      await done;
    }
  });

  function cursors() {
    return new StreamCursorStore(db, 'entry-requests');
  }

  /** Starts a follower (as a restarted plugin would: its own instance, the same database). */
  function startFollower(
    options: Partial<
      ConstructorParameters<typeof EntryRequestFollower>[0]
    > = {},
  ) {
    const follower = new EntryRequestFollower({
      transport: service.transport,
      cursors: cursors(),
      notifications,
      settings,
      logger,
      retryDelayMs: 1,
      ...options,
    });
    const stop = new AbortController();
    const done = follower.run(stop.signal);
    const handle = { stop, done };
    running.push(handle);
    return handle;
  }

  it('tellsTheApproversOfASubmitAndStoresItsCursor', async () => {
    // Given a follower with no stored cursor
    startFollower();

    // When the service streams a submit
    service.answerNextCall([update('c1', 'submit', 'r1')]);

    // Then the approvers are told, the cursor is stored, and the stream was opened from now on
    await eventually('the cursor stored', async () => {
      return (await cursors().read()) === 'c1';
    });
    expect(notifications.sent).toHaveLength(1);
    expect(notifications.sent[0].recipients).toEqual({
      type: 'entity',
      entityRef: ['group:default/platform'],
      excludeEntityRef: 'user:default/alice',
    });
    expect(notifications.sent[0].payload.link).toBe('/spire-mgmt/requests/r1');
    expect(service.calls.map(c => c.cursor)).toEqual(['']);
  });

  it('resumesAfterARestartFromTheStoredCursorWithoutRepeatingOrLosing', async () => {
    // Given a follower that handled two updates and was stopped
    const first = startFollower();
    service.answerNextCall([
      update('c1', 'submit', 'r1'),
      update('c2', 'reject', 'r1', EntryRequestState.REJECTED),
    ]);
    await eventually('two updates handled', async () => {
      return (await cursors().read()) === 'c2';
    });
    first.stop.abort();
    await first.done;

    // When a new follower starts and the service streams what came after
    startFollower();
    service.answerNextCall([update('c3', 'submit', 'r2')]);
    await eventually('the third update handled', async () => {
      return (await cursors().read()) === 'c3';
    });

    // Then it resumed after c2, and each update was told once: r1 to the approvers and alice, r2 to the approvers
    expect(service.calls.map(c => c.cursor)).toEqual(['', 'c2']);
    expect(
      notifications.sent.map(n => [n.payload.scope, n.recipients]),
    ).toEqual([
      [
        'spire-mgmt/entry-request/r1/approval',
        expect.objectContaining({ entityRef: ['group:default/platform'] }),
      ],
      [
        'spire-mgmt/entry-request/r1/decision',
        { type: 'entity', entityRef: 'user:default/alice' },
      ],
      [
        'spire-mgmt/entry-request/r2/approval',
        expect.objectContaining({ entityRef: ['group:default/platform'] }),
      ],
    ]);
  });

  it('sendsAgainWhatFailedToSendAndMovesTheCursorOnlyAfterwards', async () => {
    // Given the notifications backend fails the first send
    notifications.failNextSends(1);
    startFollower();

    // When the service streams a submit, and (on the reconnect) the same submit again
    service.answerNextCall([update('c1', 'submit', 'r1')]);
    service.answerNextCall([update('c1', 'submit', 'r1')]);

    // Then the failed send left the cursor where it was, the stream was reopened from there, and the
    // notification went out once
    await eventually('the cursor stored', async () => {
      return (await cursors().read()) === 'c1';
    });
    expect(notifications.failed).toBe(1);
    expect(service.calls.map(c => c.cursor)).toEqual(['', '']);
    expect(notifications.sent).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('Request failed with status 503'),
    );
  });

  it('reopensABrokenStreamFromItsLastCursorAfterABackoff', async () => {
    // Given a follower whose first stream breaks after one update
    startFollower({ retryDelayMs: 5 });
    service.answerNextCall(
      [update('c1', 'submit', 'r1')],
      spireMgmtError(Code.Unavailable, 'upstream connect error', ''),
    );

    // When the service is back
    service.answerNextCall([update('c2', 'submit', 'r2')]);

    // Then the follower waited, reopened after c1 and handled c2
    await eventually('c2 handled', async () => {
      return (await cursors().read()) === 'c2';
    });
    expect(service.calls.map(c => c.cursor)).toEqual(['', 'c1']);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /following entry requests failed, again in 0.005 s: .*upstream connect error/,
      ),
    );
    expect(notifications.sent).toHaveLength(2);
  });

  it('followsFromNowOnWhenTheStoredCursorHasExpired', async () => {
    // Given a cursor stored long ago, which the service no longer keeps
    const store = cursors();
    await store.read();
    await store.move(undefined, 'c-last-week');
    startFollower();
    service.answerNextCall(
      [],
      spireMgmtError(
        Code.OutOfRange,
        'cursor older than the retained log',
        'CURSOR_EXPIRED',
      ),
    );

    // When the follower goes on
    service.answerNextCall([update('c9', 'submit', 'r9')]);

    // Then it dropped the cursor, streamed from now on, and said so
    await eventually('c9 handled', async () => {
      return (await cursors().read()) === 'c9';
    });
    expect(service.calls.map(c => c.cursor)).toEqual(['c-last-week', '']);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('older than the service keeps'),
    );
  });

  it('reopensAtOnceAStreamEndedByItsTokenExpiring', async () => {
    // Given a follower with an hour of backoff, its stream open for five minutes
    let now = 1_000_000;
    startFollower({ retryDelayMs: 3_600_000, clock: () => now });
    await eventually('the stream open', () => service.calls.length === 1);
    now += 5 * 60_000;

    // When the service ends it UNAUTHENTICATED (the token expired)
    service.answerNextCall(
      [],
      spireMgmtError(Code.Unauthenticated, 'token expired', 'UNAUTHENTICATED'),
    );

    // Then the follower opened it again without waiting, and warned of nothing
    await eventually('the stream reopened', () => service.calls.length === 2);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('backsOffWhenItsTokenIsRefusedAtOnce', async () => {
    // Given a service that does not trust the plugin's token
    startFollower({ retryDelayMs: 3_600_000, clock: () => 0 });

    // When it refuses the stream as soon as it opens
    service.answerNextCall(
      [],
      spireMgmtError(Code.Unauthenticated, 'unknown key', 'UNAUTHENTICATED'),
    );

    // Then the follower warns and waits out its backoff before trying again
    await eventually('the warning', () => logger.warn.mock.calls.length > 0);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/again in 3600 s: .*unknown key/),
    );
    expect(service.calls).toHaveLength(1);
  });

  it('stopsWhenAnotherFollowerMovedTheCursor', async () => {
    // Given a follower that opened its stream from no cursor
    const follower = startFollower();
    await eventually('the stream open', () => service.calls.length === 1);

    // When another follower stores its cursor meanwhile, and this one gets an update
    expect(await cursors().move(undefined, 'c5')).toBe(true);
    service.answerNextCall([update('c1', 'submit', 'r1')]);

    // Then this one stops by itself, leaving the other's cursor in place
    await follower.done;
    expect(await cursors().read()).toBe('c5');
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringContaining('another follower moved'),
    );
  });
});
