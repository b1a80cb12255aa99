/**
 * The fingerprint of this registry's backup signing key. The key itself never enters the database:
 * it lives in each backup host's credential store. The fingerprint is what keeps it one key per
 * registry: the first admin backup creates the key and records its fingerprint here, and a host
 * holding another key (or none) is told to import the registry's instead of making a second one.
 * Runs with search_path set to the registry schema (`erp`).
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`alter table registry_info add column backup_key_fingerprint text check (backup_key_fingerprint ~ '^[0-9a-f]{32}$')`)
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('alter table registry_info drop column backup_key_fingerprint')
}
