/**
 * `erp products list --archived` on a large catalog: a small partial index holding the archived
 * products only, in id order, so listing them does not walk every live product.
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw('create index products_archived_id_idx on products (id) where archived_at is not null')
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop index products_archived_id_idx')
}
