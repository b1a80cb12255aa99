import { openCredentialStore } from '../auth/credential-store.js'
import type { Db } from '../db/connect.js'
import { embeddedServerInfo } from '../db/embedded-server.js'
import { REGISTRY_SCHEMA } from '../db/identifiers.js'
import { registryMigrationState } from '../db/registry.js'
import { erpVersion } from '../db/newer-schema.js'
import { tenantMigrationStatus } from '../tenants/migrate.js'
import { listTenants } from '../tenants/tenant.js'

export type CheckStatus = 'ok' | 'warn' | 'fail'

export interface Check {
  check: string
  status: CheckStatus
  detail: string
  action?: string
}

const MIN_SERVER_VERSION = 140000

/** Everything `erp doctor` looks at. Each check reports; none throws. */
export async function runChecks(connectDb: () => Promise<Db>): Promise<Check[]> {
  const checks: Check[] = []
  let db: Db | undefined
  try {
    db = await connectDb()
    checks.push({ check: 'connection', status: 'ok', detail: `${db.source}${db.profile ? ` (profile ${db.profile})` : ''}: ${db.endpoint.user}@${db.endpoint.host}:${db.endpoint.port}/${db.endpoint.database}` })
  } catch (err) {
    checks.push({ check: 'connection', status: 'fail', detail: (err as Error).message, action: 'Check DATABASE_URL or the profile (erp auth whoami).' })
  }
  if (db) {
    checks.push(await guard('server version', () => serverVersion(db!)))
    if (db.scope.kind === 'admin') {
      const missing = await guard('registry', () => missingRegistry(db!))
      if (missing.status === 'ok') {
        checks.push(await guard('registry migrations', () => registryState(db!)))
        checks.push(await guard('tenant migrations', () => tenantState(db!)))
        checks.push(await guard('registry identity', () => registryIdentity(db!)))
      } else {
        checks.push(missing)
      }
      checks.push(await guard('tenant isolation', () => isolationState(db!)))
    } else {
      checks.push({ check: 'scope', status: 'ok', detail: `tenant ${db.scope.tenant}` })
    }
  }
  checks.push(await guard('credential store', credentialStoreState))
  if (!db || db.source === 'embedded') checks.push(embeddedState())
  return checks
}

async function guard(check: string, run: () => Promise<Omit<Check, 'check'>>): Promise<Check> {
  try {
    return { check, ...(await run()) }
  } catch (err) {
    return { check, status: 'fail', detail: (err as Error).message }
  }
}

async function serverVersion(db: Db): Promise<Omit<Check, 'check'>> {
  const { rows } = await db.knex.raw("select current_setting('server_version') as v, current_setting('server_version_num')::int as n")
  return rows[0].n >= MIN_SERVER_VERSION
    ? { status: 'ok', detail: `PostgreSQL ${rows[0].v}` }
    : { status: 'fail', detail: `PostgreSQL ${rows[0].v} is older than 14`, action: 'Upgrade the server to PostgreSQL 14 or later.' }
}

/**
 * A database nothing has set up yet (doctor does not bring the registry up, to look at it as it
 * is): the checks that read the registry's tables would only report PostgreSQL's "relation does
 * not exist", so this one says what is missing instead, and they are left out.
 */
async function missingRegistry(db: Db): Promise<Omit<Check, 'check'>> {
  const { rows } = await db.knex.raw('select to_regclass(?) is not null as present', [`${REGISTRY_SCHEMA}.tenants`])
  if (rows[0].present) return { status: 'ok', detail: 'present' }
  return {
    status: 'fail',
    detail: `no erp registry in database ${db.endpoint.database} (schema ${REGISTRY_SCHEMA} and its tables are not there yet): the registry and tenant checks were skipped`,
    action: 'erp migrate latest --registry (any erp command run as the admin also sets it up)',
  }
}

async function registryState(db: Db): Promise<Omit<Check, 'check'>> {
  const { pending, unknown } = await registryMigrationState(db.knex)
  if (unknown.length) {
    return {
      status: 'fail',
      detail: `migrated by a newer erp: ${unknown.length} migration(s) this erp (${erpVersion()}) does not know: ${unknown.join(', ')}; registry writes are refused`,
      action: `Install a newer erp (one that has migrations/registry/${unknown.at(-1)}).`,
    }
  }
  return pending.length === 0
    ? { status: 'ok', detail: 'up to date' }
    : { status: 'warn', detail: `${pending.length} pending: ${pending.join(', ')}`, action: 'erp migrate latest --registry' }
}

async function registryIdentity(db: Db): Promise<Omit<Check, 'check'>> {
  const { rows } = await db.knex.raw(
    'select id, role_prefix as prefix, (select count(*)::int from erp.provisioning) as reserved from erp.registry_info',
  )
  const { id, prefix, reserved } = rows[0]
  const detail = `registry ${id}, tenant roles named ${prefix}<slug>`
  return reserved === 0
    ? { status: 'ok', detail }
    : { status: 'warn', detail: `${detail}; ${reserved} tenant(s) being provisioned or left by a killed run`, action: 'The next tenants create, clone or restore reclaims those left behind.' }
}

/** What registry migration 20261201010000 narrows for tenant logins, as the server has it now. */
async function isolationState(db: Db): Promise<Omit<Check, 'check'>> {
  const { rows } = await db.knex.raw(
    `select has_database_privilege('public', current_database(), 'CONNECT') as connect,
            has_table_privilege('public', 'pg_catalog.pg_roles', 'SELECT') as roles`,
  )
  const open = [rows[0].connect && 'any role may connect to this database', rows[0].roles && 'tenant logins can list the server\'s roles'].filter(Boolean)
  return open.length === 0
    ? { status: 'ok', detail: 'tenant logins reach this database only through their grants and cannot list roles' }
    : { status: 'warn', detail: open.join('; '), action: 'Run erp migrate latest --registry as a superuser once (catalog grants need one).' }
}

async function tenantState(db: Db): Promise<Omit<Check, 'check'>> {
  const tenants = await listTenants(db.knex, db.scope)
  const status = await tenantMigrationStatus(db, tenants)
  const suspended = tenants.filter((t) => t.status === 'suspended').length
  const summary = `${tenants.length} tenant(s), ${suspended} suspended`
  const ahead = status.filter((s) => s.unknown.length > 0)
  if (ahead.length) {
    const shown = ahead.slice(0, 10).map((s) => `${s.tenant} (${s.unknown.join(', ')})`).join('; ')
    return {
      status: 'fail',
      detail: `${summary}; ${ahead.length} migrated by a newer erp, with migrations this erp (${erpVersion()}) does not know ` +
        `(writes to them are refused): ${shown}${ahead.length > 10 ? '; …' : ''}`,
      action: `Install a newer erp (one that has migrations/tenant/${ahead.flatMap((s) => s.unknown).sort().at(-1)}).`,
    }
  }
  // Not recorded in the registry (a backfill cut short): checked the slow way on each use until recorded.
  const unrecorded = tenants.filter((t) => t.schemaMigrations == null).length
  if (unrecorded) {
    return {
      status: 'warn',
      detail: `${summary}; ${unrecorded} without their migrations recorded in the registry`,
      action: 'erp migrate latest --registry',
    }
  }
  const behind = status.filter((s) => s.pending.length > 0)
  if (behind.length === 0) return { status: 'ok', detail: `${summary}, all migrated` }
  const names = behind.slice(0, 10).map((s) => s.tenant).join(', ')
  return {
    status: 'warn',
    detail: `${summary}; ${behind.length} with pending migrations: ${names}${behind.length > 10 ? ', …' : ''}`,
    action: 'erp migrate latest --all-tenants',
  }
}

async function credentialStoreState(): Promise<Omit<Check, 'check'>> {
  const store = await openCredentialStore()
  // Reading proves the file (if that is the store) is private and well-formed.
  await store.get('erp-doctor-probe')
  return { status: 'ok', detail: `${store.name}: ${store.location}` }
}

function embeddedState(): Check {
  const info = embeddedServerInfo()
  if (!info.initialised) return { check: 'embedded server', status: 'warn', detail: `not initialised in ${info.dataDir}`, action: 'Any erp command initialises it on first use.' }
  return info.running
    ? { check: 'embedded server', status: 'ok', detail: `running (pid ${info.pid}) on 127.0.0.1:${info.port}, data in ${info.clusterDir}` }
    : { check: 'embedded server', status: 'warn', detail: `stopped; data in ${info.clusterDir}`, action: 'It starts with the next erp command (or: erp server start).' }
}
