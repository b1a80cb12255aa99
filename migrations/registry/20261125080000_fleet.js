/**
 * Fleet operations: a record of every `migrate latest --all-tenants` run (one row per run, one per
 * tenant it covered), and deleted tenants kept for a grace period (status 'deleted').
 * Runs with search_path set to the registry schema (`erp`).
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create table migration_runs (
      id            bigint generated always as identity primary key,
      started_at    timestamptz not null default now(),
      finished_at   timestamptz,
      db_user       text not null default session_user,
      status        text not null default 'running'
                    check (status in ('running', 'completed', 'completed_with_failures', 'stopped')),
      stop_reason   text,
      resumed_from  bigint references migration_runs (id) on delete set null,
      options       jsonb not null default '{}',
      -- Tenants that had nothing pending: counted, not listed (a cron no-op run stays one row).
      up_to_date    integer not null default 0
    )
  `)
  await knex.raw(`
    create table migration_run_items (
      run_id        bigint not null references migration_runs (id) on delete cascade,
      tenant        text not null,
      position      integer not null,
      wave          integer not null,  -- 0 is the canary wave
      state         text not null default 'pending'
                    check (state in ('pending', 'succeeded', 'failed', 'lock_timeout', 'not_reached')),
      attempts      integer not null default 0,
      lock_timeouts integer not null default 0,
      applied       text[] not null default '{}',
      error         text,
      finished_at   timestamptz,
      duration_ms   integer,
      primary key (run_id, tenant)
    )
  `)
  await knex.raw('create index migration_run_items_state on migration_run_items (run_id, state)')
  await knex.raw('alter table tenants drop constraint tenants_status_check')
  await knex.raw(`alter table tenants add constraint tenants_status_check check (status in ('active', 'suspended', 'deleted'))`)
  await knex.raw('alter table tenants add column deleted_at timestamptz')
  await knex.raw('alter table tenants add column purge_after timestamptz')
  await knex.raw(`
    alter table tenants add constraint tenants_deleted_check
      check ((status = 'deleted') = (deleted_at is not null and purge_after is not null))
  `)
  // A deleted tenant's login role has no access to anything: hide its registry row too.
  await knex.raw(`
    create or replace view my_tenants as
      select t.slug, t.name, t.plan, t.schema_name, t.owner_role, t.login_role, t.status
        from tenants t
        join pg_roles r on r.rolname = t.owner_role
       where pg_has_role(current_user, r.oid, 'USAGE') and t.status <> 'deleted'
  `)
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw(`
    create or replace view my_tenants as
      select t.slug, t.name, t.plan, t.schema_name, t.owner_role, t.login_role, t.status
        from tenants t
        join pg_roles r on r.rolname = t.owner_role
       where pg_has_role(current_user, r.oid, 'USAGE')
  `)
  await knex.raw('alter table tenants drop constraint tenants_deleted_check')
  await knex.raw('alter table tenants drop column purge_after')
  await knex.raw('alter table tenants drop column deleted_at')
  await knex.raw('alter table tenants drop constraint tenants_status_check')
  await knex.raw(`alter table tenants add constraint tenants_status_check check (status in ('active', 'suspended'))`)
  await knex.raw('drop table migration_run_items')
  await knex.raw('drop table migration_runs')
}
