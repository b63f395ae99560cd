import {
  AuditEvent,
  ListAuditEventsResponse,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SpireMgmtAuditEventListOptions } from '../../api';

/** One audit trail to read: a resource (target type and id), and how the history names it. */
export interface AuditSource {
  targetType: string;
  targetId: string;
  /** What the resource is for a person, e.g. the entry's SPIFFE ID. */
  label: string;
}

/** An event with the trail it came from. */
export interface SourcedAuditEvent {
  event: AuditEvent;
  source: AuditSource;
}

type SourceState = {
  source: AuditSource;
  buffer: AuditEvent[];
  pageToken: string;
  exhausted: boolean;
};

/**
 * Pages through the audit trails of several resources as one history, newest first. Each trail is read with
 * its own keyset page tokens; events are merged by id (ids are assigned in insertion order across all
 * events), and a trail is only read further when its read events are used up, so every page is complete
 * and nothing is shown twice. A failed read leaves the pager as it was: the next call reads again.
 */
export class AuditPager {
  private readonly sources: SourceState[];

  constructor(
    sources: AuditSource[],
    private readonly pageSize: number,
    private readonly list: (
      options: SpireMgmtAuditEventListOptions,
    ) => Promise<ListAuditEventsResponse>,
  ) {
    this.sources = sources.map(source => ({
      source,
      buffer: [],
      pageToken: '',
      exhausted: false,
    }));
  }

  /** Whether older events may remain. */
  hasMore(): boolean {
    return this.sources.some(s => s.buffer.length > 0 || !s.exhausted);
  }

  private async refill(state: SourceState): Promise<void> {
    const page = await this.list({
      targetType: state.source.targetType,
      targetId: state.source.targetId,
      pageSize: this.pageSize,
      pageToken: state.pageToken,
    });
    state.buffer = [...page.auditEvents];
    state.pageToken = page.nextPageToken;
    state.exhausted = !page.nextPageToken;
  }

  /** The next page: up to `pageSize` events older than those returned before, newest first. */
  async next(): Promise<SourcedAuditEvent[]> {
    const page: SourcedAuditEvent[] = [];
    while (page.length < this.pageSize) {
      // A trail with nothing read and more to read might hold the newest event: read it first.
      await Promise.all(
        this.sources
          .filter(s => s.buffer.length === 0 && !s.exhausted)
          .map(s => this.refill(s)),
      );
      const ready = this.sources.filter(s => s.buffer.length > 0);
      if (ready.length === 0) {
        break;
      }
      const newest = ready.reduce((a, b) =>
        a.buffer[0].id >= b.buffer[0].id ? a : b,
      );
      page.push({ event: newest.buffer.shift()!, source: newest.source });
    }
    return page;
  }
}
