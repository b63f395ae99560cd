import { Knex } from 'knex';
import {
  CryptoKey,
  exportJWK,
  generateKeyPair,
  importJWK,
  JWK,
  SignJWT,
  JWTPayload,
} from 'jose';
import { randomUUID } from 'node:crypto';

/** The signing algorithm: RS256, the one the spire-mgmt backend (SmallRye JWT) verifies by default. */
export const SIGNING_ALGORITHM = 'RS256';

const TABLE = 'spire_mgmt_signing_keys';

/** The clock skew a verifier allows past `exp` (SmallRye JWT's default); a key stays published that much longer. */
const VERIFIER_SKEW_MS = 60_000;

interface KeyRow {
  kid: string;
  signs_from: number | string;
  signs_until: number | string;
  public_jwk: string;
  private_jwk: string;
}

/** What the key store needs to know. */
export interface KeyStoreOptions {
  /** How long a token lives (a key is published that long, plus the verifier's skew, after it stops signing). */
  tokenLifetimeMs: number;
  /** The length of a slot: one key signs per slot. */
  rotationIntervalMs: number;
  /** Milliseconds since the epoch; a test moves it. */
  clock?: () => number;
}

/**
 * Signing keys kept in the plugin's database, so that every Backstage replica signs with the same key and
 * publishes the same set.
 *
 * Time is cut in slots of the rotation interval. The key of a slot signs during that slot only; it is published
 * one slot early (so a verifier that refreshes its JWKS once an interval knows it before its first token) and
 * until the last token it signed has expired. Each replica creates the keys of the current and the next slot if
 * they are missing, with an insert that a unique `signs_from` turns into a no-op for the replica that loses the
 * race: whichever inserts first, all read back the same key.
 */
export class KeyStore {
  private readonly clock: () => number;
  private readonly privateKeys = new Map<string, Promise<CryptoKey>>();

  constructor(
    private readonly db: Knex,
    private readonly options: KeyStoreOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** The slot that holds `time`: its start and end. */
  private slot(time: number): { from: number; until: number } {
    const interval = this.options.rotationIntervalMs;
    const from = Math.floor(time / interval) * interval;
    return { from, until: from + interval };
  }

  /** How long after it stops signing a key stays published. */
  private get publishedAfterMs(): number {
    return this.options.tokenLifetimeMs + VERIFIER_SKEW_MS;
  }

  private async createKey(from: number, until: number): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, {
      modulusLength: 2048,
      extractable: true,
    });
    const kid = randomUUID();
    const publicJwk: JWK = {
      ...(await exportJWK(publicKey)),
      kid,
      alg: SIGNING_ALGORITHM,
      use: 'sig',
    };
    const privateJwk = { ...(await exportJWK(privateKey)), kid };
    await this.db(TABLE)
      .insert({
        kid,
        signs_from: from,
        signs_until: until,
        public_jwk: JSON.stringify(publicJwk),
        private_jwk: JSON.stringify(privateJwk),
      })
      .onConflict('signs_from')
      .ignore();
  }

  /**
   * Makes sure the current and the next slot have a key, drops keys whose last token has expired, and returns
   * the keys that are published now (in order of their slots).
   */
  private async currentRows(now: number): Promise<KeyRow[]> {
    const current = this.slot(now);
    const next = this.slot(current.until);
    const wanted = [current, next];
    let rows = await this.publishedRows(now, next.from);
    for (const slot of wanted) {
      if (!rows.some(row => Number(row.signs_from) === slot.from)) {
        await this.createKey(slot.from, slot.until);
      }
    }
    if (rows.length < wanted.length) {
      rows = await this.publishedRows(now, next.from);
    }
    await this.db(TABLE)
      .where('signs_until', '<', now - this.publishedAfterMs)
      .delete();
    return rows;
  }

  private async publishedRows(
    now: number,
    lastFrom: number,
  ): Promise<KeyRow[]> {
    return this.db<KeyRow>(TABLE)
      .where('signs_until', '>=', now - this.publishedAfterMs)
      .andWhere('signs_from', '<=', lastFrom)
      .orderBy('signs_from', 'asc');
  }

  /** The public keys to publish, as a JWKS document. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const rows = await this.currentRows(this.clock());
    return { keys: rows.map(row => JSON.parse(row.public_jwk) as JWK) };
  }

  /** Signs `claims` (adding `iat` and `exp`) with the key of the current slot. */
  async sign(claims: JWTPayload): Promise<string> {
    const now = this.clock();
    const rows = await this.currentRows(now);
    const current = rows.find(
      row => Number(row.signs_from) <= now && now < Number(row.signs_until),
    );
    if (!current) {
      throw new Error('No signing key for the current slot');
    }
    let key = this.privateKeys.get(current.kid);
    if (!key) {
      key = importJWK(JSON.parse(current.private_jwk), SIGNING_ALGORITHM).then(
        k => k as CryptoKey,
      );
      this.privateKeys.set(current.kid, key);
    }
    const iat = Math.floor(now / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({
        alg: SIGNING_ALGORITHM,
        kid: current.kid,
        typ: 'JWT',
      })
      .setIssuedAt(iat)
      .setExpirationTime(iat + Math.floor(this.options.tokenLifetimeMs / 1000))
      .sign(await key);
  }
}
