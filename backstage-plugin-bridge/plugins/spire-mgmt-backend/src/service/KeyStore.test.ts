import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { KeyStore } from './KeyStore';

jest.setTimeout(60_000);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('KeyStore', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function migratedDatabase() {
    const knex = await databases.init('SQLITE_3');
    await knex.migrate.latest({
      directory: resolvePackagePath(
        '@spire-mgmt/backstage-plugin-spire-mgmt-backend',
        'migrations',
      ),
      tableName: 'spire_mgmt_knex_migrations',
    });
    return knex;
  }

  it('signsWithANewKeyAfterRotationAndKeepsTheOldKeyPublishedUntilItsLastTokenExpires', async () => {
    // Given a store rotating every hour, 5-minute tokens, and a token signed late in the first slot
    const knex = await migratedDatabase();
    let now = 10 * HOUR + 59 * MINUTE;
    const store = new KeyStore(knex, {
      tokenLifetimeMs: 5 * MINUTE,
      rotationIntervalMs: HOUR,
      clock: () => now,
    });
    const oldToken = await store.sign({ sub: 'user:default/alice' });
    const oldKid = decodeProtectedHeader(oldToken).kid;

    // When the next slot begins and a token is signed
    now = 11 * HOUR + 1 * MINUTE;
    const newToken = await store.sign({ sub: 'user:default/alice' });
    const newKid = decodeProtectedHeader(newToken).kid;
    const jwksDuringOverlap = await store.jwks();

    // Then the new token has the new key, and both keys (plus the next slot's) are published
    expect(newKid).not.toEqual(oldKid);
    expect(jwksDuringOverlap.keys.map(k => k.kid)).toEqual(
      expect.arrayContaining([oldKid, newKid]),
    );
    expect(jwksDuringOverlap.keys).toHaveLength(3);
    // and the old token still verifies against the published set while it is valid
    const set = createLocalJWKSet(jwksDuringOverlap);
    await expect(
      jwtVerify(oldToken, set, { currentDate: new Date(now) }),
    ).resolves.toBeDefined();

    // When the old key's last token has expired, with the verifier's one-minute skew
    now = 11 * HOUR + 5 * MINUTE + 1 * MINUTE + 1;
    const jwksAfter = await store.jwks();

    // Then the old key is no longer published (nor stored), the new one is
    expect(jwksAfter.keys.map(k => k.kid)).not.toContain(oldKid);
    expect(jwksAfter.keys.map(k => k.kid)).toContain(newKid);
    expect(
      await knex('spire_mgmt_signing_keys').where({ kid: oldKid }).first(),
    ).toBeUndefined();
  });

  it('publishesTheNextKeyOneSlotBeforeItSigns', async () => {
    // Given a store in the middle of a slot
    const knex = await migratedDatabase();
    let now = 5 * HOUR + 30 * MINUTE;
    const store = new KeyStore(knex, {
      tokenLifetimeMs: 5 * MINUTE,
      rotationIntervalMs: HOUR,
      clock: () => now,
    });
    const published = (await store.jwks()).keys.map(k => k.kid);

    // When the next slot begins
    now = 6 * HOUR;
    const token = await store.sign({ sub: 'user:default/alice' });

    // Then its signing key had been published already
    expect(published).toContain(decodeProtectedHeader(token).kid);
  });

  it('letsTwoReplicasStartingAtOnceAgreeOnOneKeyPerSlot', async () => {
    // Given two stores (two Backstage replicas) on the same database and the same clock
    const knex = await migratedDatabase();
    const now = 3 * HOUR;
    const options = {
      tokenLifetimeMs: 5 * MINUTE,
      rotationIntervalMs: HOUR,
      clock: () => now,
    };
    const first = new KeyStore(knex, options);
    const second = new KeyStore(knex, options);

    // When both create their keys at the same time and sign
    const [a, b] = await Promise.all([first.jwks(), second.jwks()]);
    const [tokenA, tokenB] = await Promise.all([
      first.sign({ sub: 'user:default/a' }),
      second.sign({ sub: 'user:default/b' }),
    ]);

    // Then there is one key per slot, both publish the same set and sign with the same key
    expect(await knex('spire_mgmt_signing_keys').count({ n: '*' })).toEqual([
      { n: 2 },
    ]);
    expect(a).toEqual(b);
    expect(decodeProtectedHeader(tokenA).kid).toEqual(
      decodeProtectedHeader(tokenB).kid,
    );
  });
});
