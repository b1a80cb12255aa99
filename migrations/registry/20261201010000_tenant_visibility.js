/**
 * What a tenant's login can see beyond its schema, narrowed to what PostgreSQL lets us narrow
 * (README, "What a tenant login can see"):
 * - erp's database is not open to PUBLIC: CONNECT goes to the admin and to each tenant's roles
 *   (provision.ts and credentials.ts grant it to new ones), so a tenant login reaches this
 *   database only, whatever other databases the server holds (those are the server's business).
 * - nobody but the admin creates objects in this database's public schema (PostgreSQL 15's default,
 *   made true on 14 as well), so a tenant login creates only inside its own schema.
 * - the list of the server's roles (pg_roles, pg_user, pg_group, pg_auth_members) is not PUBLIC
 *   in this database: a tenant login cannot enumerate other tenants' roles. The admin keeps it.
 * Catalog grants need a superuser; an admin that is not one leaves the catalogs as they are, and
 * `erp doctor` says so. Runs with search_path set to the registry schema (`erp`).
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  const { rows: [me] } = await knex.raw(
    'select current_database() as db, current_user as admin, (select rolsuper from pg_roles where rolname = current_user) as super',
  )
  const db = quote(me.db)
  await knex.raw(`revoke connect on database ${db} from public`)
  await knex.raw(`grant connect on database ${db} to ${quote(me.admin)}`)
  const { rows: roles } = await knex.raw(
    `select r.rolname from tenants t join pg_roles r on r.rolname in (t.owner_role, t.login_role)`,
  )
  for (const { rolname } of roles) await knex.raw(`grant connect on database ${db} to ${quote(rolname)}`)
  const { rows: [pub] } = await knex.raw(`select to_regnamespace('public') is not null as present, pg_has_role(current_user, (select nspowner from pg_namespace where nspname = 'public'), 'USAGE') as mine`)
  if (pub.present && (pub.mine || me.super)) await knex.raw('revoke create on schema public from public')
  if (!me.super) return
  for (const view of CATALOG_ROLE_LISTS) {
    await knex.raw(`revoke select on pg_catalog.${view} from public`)
    await knex.raw(`grant select on pg_catalog.${view} to ${quote(me.admin)}`)
  }
}

const CATALOG_ROLE_LISTS = ['pg_roles', 'pg_user', 'pg_group', 'pg_auth_members']

/** A double-quoted identifier (the migration has no access to erp's TypeScript helpers). */
function quote(name) {
  return `"${name.replaceAll('"', '""')}"`
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  const { rows: [me] } = await knex.raw('select current_database() as db, (select rolsuper from pg_roles where rolname = current_user) as super')
  await knex.raw(`grant connect on database ${quote(me.db)} to public`)
  if (!me.super) return
  for (const view of CATALOG_ROLE_LISTS) await knex.raw(`grant select on pg_catalog.${view} to public`)
}
