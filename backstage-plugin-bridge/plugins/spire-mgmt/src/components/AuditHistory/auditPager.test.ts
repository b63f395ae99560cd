import { create } from '@bufbuild/protobuf';
import {
  AuditEventSchema,
  ListAuditEventsResponse,
  ListAuditEventsResponseSchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SpireMgmtAuditEventListOptions } from '../../api';
import { AuditPager } from './auditPager';

/** Audit trails per target id, served in keyset pages of the requested size (the token is the offset). */
function trails(events: Record<string, number[]>) {
  const calls: SpireMgmtAuditEventListOptions[] = [];
  const list = async (
    options: SpireMgmtAuditEventListOptions,
  ): Promise<ListAuditEventsResponse> => {
    calls.push(options);
    const ids = events[options.targetId!];
    const from = Number(options.pageToken || '0');
    const to = from + options.pageSize!;
    return create(ListAuditEventsResponseSchema, {
      auditEvents: ids
        .slice(from, to)
        .map(id => create(AuditEventSchema, { id: BigInt(id) })),
      nextPageToken: to < ids.length ? String(to) : '',
    });
  };
  return { calls, list };
}

const sources = ['e1', 'e2'].map(id => ({
  targetType: 'entry',
  targetId: id,
  label: `spiffe://td/${id}`,
}));

describe('AuditPager', () => {
  it('merges the trails of several entries newest first, a page at a time, each event once', async () => {
    // Given two entries whose events interleave
    const { list } = trails({ e1: [9, 6, 5, 1], e2: [8, 7, 3] });
    const pager = new AuditPager(sources, 3, list);

    // When
    const pages = [await pager.next(), await pager.next()];
    const more = pager.hasMore();
    const last = await pager.next();

    // Then
    expect(pages.map(p => p.map(e => Number(e.event.id)))).toEqual([
      [9, 8, 7],
      [6, 5, 3],
    ]);
    expect(pages[0].map(e => e.source.label)).toEqual([
      'spiffe://td/e1',
      'spiffe://td/e2',
      'spiffe://td/e2',
    ]);
    expect(more).toBe(true);
    expect(last.map(e => Number(e.event.id))).toEqual([1]);
    expect(pager.hasMore()).toBe(false);
  });

  it('reads one trail with the page tokens the service gave', async () => {
    // Given
    const { calls, list } = trails({ e1: [5, 4, 3, 2, 1] });
    const pager = new AuditPager([sources[0]], 2, list);

    // When
    const first = await pager.next();
    const second = await pager.next();

    // Then
    expect([...first, ...second].map(e => Number(e.event.id))).toEqual([
      5, 4, 3, 2,
    ]);
    expect(calls.map(c => [c.targetType, c.targetId, c.pageToken])).toEqual([
      ['entry', 'e1', ''],
      ['entry', 'e1', '2'],
    ]);
  });

  it('reads again after a failed read, losing nothing', async () => {
    // Given a service that fails the second read once
    const { list } = trails({ e1: [4, 3, 2, 1] });
    let failures = 1;
    const pager = new AuditPager([sources[0]], 2, async options => {
      if (options.pageToken && failures-- > 0) {
        throw new Error('unavailable');
      }
      return list(options);
    });
    await pager.next();

    // When
    const error = await pager.next().catch(e => e);
    const retried = await pager.next();

    // Then
    expect(error.message).toBe('unavailable');
    expect(retried.map(e => Number(e.event.id))).toEqual([2, 1]);
  });

  it('has nothing to show for no trail', async () => {
    // When
    const pager = new AuditPager([], 10, async () => {
      throw new Error('not called');
    });

    // Then
    expect(await pager.next()).toEqual([]);
    expect(pager.hasMore()).toBe(false);
  });
});
