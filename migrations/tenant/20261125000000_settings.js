/**
 * Per-tenant settings (rounding mode, invoice number format, negative stock...), one row per key.
 * Runs with search_path set to the tenant's schema, as the tenant's owner role.
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create table settings (
      key         text primary key check (key ~ '^[a-z][a-z0-9_.]*$'),
      value       jsonb not null,
      updated_at  timestamptz not null default now()
    )
  `)
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop table settings')
}
