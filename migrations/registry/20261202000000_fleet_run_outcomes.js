/**
 * A fleet run's item says what that run did to the tenant. 'up_to_date': the tenant had work
 * pending when the run started, but another run (done_by, when it was a recorded one) migrated it
 * first, so this run applied nothing and does not count it as migrated.
 * Runs with search_path set to the registry schema (`erp`).
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw('alter table migration_run_items drop constraint migration_run_items_state_check')
  await knex.raw(`
    alter table migration_run_items add constraint migration_run_items_state_check
      check (state in ('pending', 'succeeded', 'up_to_date', 'failed', 'lock_timeout', 'not_reached'))`)
  await knex.raw('alter table migration_run_items add column done_by bigint references migration_runs (id) on delete set null')
  // Finding the run that migrated a tenant: its succeeded items, by tenant.
  await knex.raw(`create index migration_run_items_succeeded on migration_run_items (tenant, finished_at) where state = 'succeeded'`)
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop index migration_run_items_succeeded')
  await knex.raw('alter table migration_run_items drop column done_by')
  await knex.raw(`update migration_run_items set state = 'succeeded' where state = 'up_to_date'`)
  await knex.raw('alter table migration_run_items drop constraint migration_run_items_state_check')
  await knex.raw(`
    alter table migration_run_items add constraint migration_run_items_state_check
      check (state in ('pending', 'succeeded', 'failed', 'lock_timeout', 'not_reached'))`)
}
