/**
 * This registry's identity: an id (what a backup archive's signature names) and the prefix of the
 * roles it creates. Roles are server-wide, so two registries in one server (staging beside
 * production) need prefixes of their own; the prefix is chosen here once and never changes.
 * Registries made before this migration keep 'erp_tenant_', the names their tenants already have.
 * Runs with search_path set to the registry schema (`erp`).
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create table registry_info (
      singleton   boolean primary key default true check (singleton),
      id          uuid not null,
      role_prefix text not null check (role_prefix ~ '^erp_[a-z0-9_]{1,12}_$'),
      created_at  timestamptz not null default now()
    )`)
  const { rows } = await knex.raw('select exists (select 1 from tenants) as has_tenants')
  const prefix = rows[0].has_tenants ? 'erp_tenant_' : await freshPrefix(knex)
  await knex.raw('insert into registry_info (id, role_prefix) values (gen_random_uuid(), ?)', [prefix])
}

/** erp_<4 random letters and digits>_, one that no role on the server starts with yet. */
async function freshPrefix(knex) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  for (;;) {
    const { randomInt } = await import('node:crypto')
    let tag = alphabet[randomInt(26)]
    for (let i = 0; i < 3; i++) tag += alphabet[randomInt(alphabet.length)]
    const prefix = `erp_${tag}_`
    const { rowCount } = await knex.raw("select 1 from pg_roles where starts_with(rolname, ?)", [prefix])
    if (!rowCount) return prefix
  }
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop table registry_info')
}
