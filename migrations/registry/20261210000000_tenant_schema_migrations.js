/**
 * Each tenant's applied migrations, recorded in its registry row, so every command can tell from
 * the row it reads anyway whether the tenant's schema is newer than the running erp (a schema with
 * migrations this erp does not know is refused for writes). NULL: not recorded (yet); erp then
 * reads the tenant's knex_migrations instead. Kept current by every code path that migrates a
 * tenant (create, migrate latest and rollback, restore, clone).
 *
 * Filled in for existing tenants by erp right after this migration commits, in chunks of their own
 * transactions (see backfillSchemaMigrations): reading every tenant's knex_migrations here, in the
 * registry's one migration transaction, would hold a lock per tenant until the end and exhaust the
 * server's lock table on a large fleet.
 * Runs with search_path set to the registry schema (`erp`). One statement per knex.raw (Citus).
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw('alter table tenants add column schema_migrations text[]')
  // A tenant login reads its own row through this view: it needs the column too. Same rows, same
  // grants (CREATE OR REPLACE VIEW keeps them); the new column comes last, as a replace requires.
  await knex.raw(`
    create or replace view my_tenants as
      select t.slug, t.name, t.plan, t.schema_name, t.owner_role, t.login_role, t.status, t.schema_migrations
        from tenants t
        join pg_roles r on r.rolname = t.owner_role
       where pg_has_role(current_user, r.oid, 'USAGE') and t.status <> 'deleted'`)
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop view my_tenants')
  await knex.raw(`
    create view my_tenants as
      select t.slug, t.name, t.plan, t.schema_name, t.owner_role, t.login_role, t.status
        from tenants t
        join pg_roles r on r.rolname = t.owner_role
       where pg_has_role(current_user, r.oid, 'USAGE') and t.status <> 'deleted'`)
  await knex.raw('grant select on my_tenants to public')
  await knex.raw('alter table tenants drop column schema_migrations')
}
