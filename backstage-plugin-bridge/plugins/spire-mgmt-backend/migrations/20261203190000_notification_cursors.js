// @ts-check

/**
 * Where the notifications follower of each stream stands: the cursor of the last update it has handled, shared
 * by every Backstage replica so that the one following after a restart or a failover resumes there.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('spire_mgmt_stream_cursors', table => {
    table.comment(
      'The cursor of the last handled update of each spire-mgmt stream the plugin follows',
    );
    table
      .string('stream', 64)
      .primary()
      .notNullable()
      .comment('The stream, e.g. entry-requests');
    table
      .text('cursor')
      .nullable()
      .comment(
        'The cursor of the last update handled; null: follow from now on',
      );
    table
      .bigInteger('updated_at')
      .notNullable()
      .comment('When it last moved (epoch milliseconds)');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('spire_mgmt_stream_cursors');
};
