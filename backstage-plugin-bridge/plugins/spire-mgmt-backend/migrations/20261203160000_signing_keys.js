// @ts-check

/**
 * The signing keys of the tokens the plugin mints, shared by every Backstage replica. One key signs in each
 * rotation slot; the unique `signs_from` keeps two replicas that start at once from making two keys for one slot.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('spire_mgmt_signing_keys', table => {
    table.comment(
      'Signing keys of the spire-mgmt tokens minted for Backstage users',
    );
    table.string('kid', 64).primary().notNullable().comment('The JWK key id');
    table
      .bigInteger('signs_from')
      .notNullable()
      .unique()
      .comment(
        'Start of the slot in which this key signs (epoch milliseconds)',
      );
    table
      .bigInteger('signs_until')
      .notNullable()
      .comment(
        'End of that slot (epoch milliseconds); the key is published until its last token expires',
      );
    table
      .text('public_jwk')
      .notNullable()
      .comment('The public key as a JWK (JSON)');
    table
      .text('private_jwk')
      .notNullable()
      .comment('The private key as a JWK (JSON)');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('spire_mgmt_signing_keys');
};
