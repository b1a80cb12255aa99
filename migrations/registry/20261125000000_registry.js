/**
 * The registry: one row per tenant, and the audit log. Runs with search_path set to the registry
 * schema (`erp`).
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create table tenants (
      slug          text primary key,
      name          text not null,
      plan          text,
      schema_name   text not null unique,
      owner_role    text not null unique,
      login_role    text not null unique,
      status        text not null default 'active' check (status in ('active', 'suspended')),
      created_at    timestamptz not null default now(),
      updated_at    timestamptz not null default now(),
      suspended_at  timestamptz
    )
  `)
  await knex.raw(`
    create table audit_log (
      id           bigint generated always as identity primary key,
      at           timestamptz not null default now(),
      db_user      text not null default session_user,
      os_user      text,
      profile      text,
      tenant       text,
      command      text not null,
      args         jsonb not null default '{}',
      outcome      text not null check (outcome in ('ok', 'error')),
      exit_code    integer not null,
      error        text,
      duration_ms  integer not null
    )
  `)
  await knex.raw('create index audit_log_tenant_at on audit_log (tenant, at desc)')
  await knex.raw('create index audit_log_at on audit_log (at desc)')
  // A tenant's login role may read its own registry row and nothing else.
  await knex.raw(`
    create view my_tenants as
      select t.slug, t.name, t.plan, t.schema_name, t.owner_role, t.login_role, t.status
        from tenants t
        join pg_roles r on r.rolname = t.owner_role
       where pg_has_role(current_user, r.oid, 'USAGE')
  `)
  // Everyone writes audit records through this function: the database user is stamped by the
  // server, and a tenant login can only write records about its own tenant.
  await knex.raw(`
    create function record_audit(p_os_user text, p_profile text, p_tenant text, p_command text,
                                 p_args jsonb, p_outcome text, p_exit_code integer, p_error text,
                                 p_duration_ms integer) returns void
      language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
    declare
      v_owner text;
    begin
      if p_tenant is not null then
        select owner_role into v_owner from erp.tenants where slug = p_tenant;
        if v_owner is not null and not pg_has_role(session_user, v_owner, 'USAGE')
           and not pg_has_role(session_user, (select nspowner from pg_namespace where nspname = 'erp'), 'USAGE') then
          raise exception 'not allowed to write audit records for tenant %', p_tenant using errcode = '42501';
        end if;
      end if;
      insert into erp.audit_log (db_user, os_user, profile, tenant, command, args, outcome, exit_code, error, duration_ms)
      values (session_user, p_os_user, p_profile, p_tenant, p_command, coalesce(p_args, '{}'), p_outcome, p_exit_code,
              p_error, p_duration_ms);
    end $$
  `)
  await knex.raw('grant usage on schema erp to public')
  await knex.raw('grant select on my_tenants to public')
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop function record_audit')
  await knex.raw('drop view my_tenants')
  await knex.raw('drop table audit_log')
  await knex.raw('drop table tenants')
}
