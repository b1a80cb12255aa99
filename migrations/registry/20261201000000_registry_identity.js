/**
 * This registry's identity: an id (what a backup archive's signature names), the prefix of the
 * roles it creates, and the key from which erp derives the short-lived passwords it logs in with as
 * a tenant's owner role (owner-login.ts). Admins only: tenants have no grant on these tables.
 * Roles are server-wide, so two registries in one server (staging beside production) need
 * prefixes of their own; the prefix is chosen here once and never changes.
 * Registries made before this migration keep 'erp_tenant_', the names their tenants already have.
 * Runs with search_path set to the registry schema (`erp`).
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create table registry_info (
      singleton   boolean primary key default true check (singleton),
      id          uuid not null,
      role_prefix text not null check (role_prefix ~ '^erp_[a-z0-9_]{1,11}_$'),
      owner_login_key bytea not null check (length(owner_login_key) = 32),
      created_at  timestamptz not null default now()
    )`)
  // Provisioning commits the tenant's roles and schema before filling them (a new login must see
  // them), so a killed run leaves them behind: this row says whose they are until the tenant's row
  // takes over, and the next provisioning reclaims rows whose process is gone (provision.ts).
  await knex.raw(`
    create table provisioning (
      slug        text primary key,
      schema_name text not null unique,
      owner_role  text not null unique,
      login_role  text not null unique,
      started_at  timestamptz not null default now()
    )`)
  const { rows } = await knex.raw('select exists (select 1 from tenants) as has_tenants')
  const prefix = rows[0].has_tenants ? 'erp_tenant_' : await freshPrefix(knex)
  const { randomBytes } = await import('node:crypto')
  await knex.raw('insert into registry_info (id, role_prefix, owner_login_key) values (gen_random_uuid(), ?, ?)', [prefix, randomBytes(32)])
}

/** erp_<4 random letters and digits>_, one that no role on the server starts with yet. */
async function freshPrefix(knex) {
  const { randomInt } = await import('node:crypto')
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  for (;;) {
    let tag = alphabet[randomInt(26)]
    for (let i = 0; i < 3; i++) tag += alphabet[randomInt(alphabet.length)]
    const prefix = `erp_${tag}_`
    const { rowCount } = await knex.raw("select 1 from pg_roles where starts_with(rolname, ?)", [prefix])
    if (!rowCount) return prefix
  }
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop table provisioning')
  await knex.raw('drop table registry_info')
}
