import { Knex } from 'knex';

const TABLE = 'spire_mgmt_stream_cursors';

interface CursorRow {
  stream: string;
  cursor: string | null;
  updated_at: number | string;
}

/**
 * The cursor of a followed stream, kept in the plugin's database so that a restart, or another replica taking
 * over, resumes after the last update handled. Every move is a compare-and-set from the cursor the follower
 * read: a follower whose cursor was moved by another (two running at once) learns it and stops, instead of
 * moving the cursor back.
 */
export class StreamCursorStore {
  constructor(
    private readonly db: Knex,
    private readonly stream: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The stored cursor; undefined when the stream has none yet (follow from now on). */
  async read(): Promise<string | undefined> {
    await this.db(TABLE)
      .insert({ stream: this.stream, cursor: null, updated_at: this.clock() })
      .onConflict('stream')
      .ignore();
    const row = await this.db<CursorRow>(TABLE)
      .where('stream', this.stream)
      .first();
    return row?.cursor ?? undefined;
  }

  /**
   * Moves the cursor from `from` (what {@link read} gave, or the last `to`) to `to` (undefined: forget it, follow
   * from now on). False, and nothing written, when the stored cursor is no longer `from`.
   */
  async move(
    from: string | undefined,
    to: string | undefined,
  ): Promise<boolean> {
    const query = this.db(TABLE).where('stream', this.stream);
    if (from === undefined) {
      query.whereNull('cursor');
    } else {
      query.where('cursor', from);
    }
    const updated = await query.update({
      cursor: to ?? null,
      updated_at: this.clock(),
    });
    return updated === 1;
  }
}
