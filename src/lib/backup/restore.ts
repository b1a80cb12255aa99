import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'
import type pg from 'pg'

import { conflict, ErpError, ErrorKind } from '../errors.js'
import { allowTenantTriggers } from '../db/citus.js'
import type { Db } from '../db/connect.js'
import { quoteIdent, quoteLiteral, tenantSchema, type TenantNames } from '../db/identifiers.js'
import { migrateUp, migrationLock, type MigrationOutcome } from '../db/migrator.js'
import { newerSchemaError } from '../db/newer-schema.js'
import { ownerLogin } from '../db/owner-login.js'
import { recordSchemaMigrations, unknownMigrations } from '../db/schema-migrations.js'
import { requireRegistryWrite } from '../db/registry.js'
import { sqlStateOf, translateDbError } from '../db/sqlstate.js'
import { explainCreateFailure, provision, registerTenant, terminateSessions } from '../tenants/provision.js'
import { findTenant, type Tenant } from '../tenants/tenant.js'
import type { ArchiveReader } from './archive.js'
import { backupTenant, type BackupResult } from './create.js'
import { type AclGrant, type RoleRef, type SchemaDoc } from './ddl.js'
import type { Manifest, ManifestTable } from './format.js'
import type { DecryptionKey } from './encryption.js'
import type { SignatureStatus } from './signature.js'
import { openTrustedArchive } from './trust.js'

export interface RestoreOptions {
  /** The slug to restore as; the archive's own by default. */
  as?: string
  /** Display name of a new tenant; the archive's by default. */
  name?: string
  /** Replace a live tenant of that slug, after backing it up into `safetyDir`. */
  force?: boolean
  safetyDir: string
  toolVersion: string
  /** Asked before a live tenant is replaced; throws to stop. */
  confirmReplace?: (slug: string) => Promise<void>
  /** Told about the safety backup before the restore starts. */
  onSafetyBackup?: (backup: BackupResult) => void
  /** --trust-unsigned: restore an unsigned archive or another registry's (never an invalid one). */
  trustUnsigned?: boolean
  /** The private key of an encrypted archive (--decrypt-key). */
  decryptionKey?: DecryptionKey
}

export interface RestoreResult {
  tenant: string
  schema: string
  from: { file: string; tenant: string; createdAt: string; version: string | null }
  tables: number
  rows: number
  /** Migrations newer than the archive, applied after the restore. */
  migrationsApplied: string[]
  /** True when a live tenant was replaced (--force). */
  replaced: boolean
  /** The backup taken of the replaced tenant. */
  safetyBackup?: string
  /** The archive's signature: valid, or what --trust-unsigned took. */
  signature: SignatureStatus
  warnings: string[]
}

/**
 * Restore an archive as a tenant. A new tenant is provisioned (provision.ts: its roles and empty
 * schema committed first), then filled in ONE transaction on a session logged in as its owner
 * role: the DDL, the data through COPY, the grants and the migrations the archive predates; the
 * registry row follows. With --force the live tenant's schema is emptied and refilled in one
 * admin transaction, keeping its roles.
 *
 * The archive is read ONCE (twice with --force: see below). Its head, the manifest and the
 * signature right after it, is read and the signature checked before anything else: an invalid
 * one is refused always, an unsigned or foreign one unless --trust-unsigned, and nothing else of
 * the archive has been read then. schema.json is small: it is read whole and checked against the
 * manifest's sha256 (and each statement against what erp backups write, schema-doc.ts) before any
 * statement runs. Each table's data then streams into COPY while it is hashed and counted, and
 * the entry list and the trailer are checked at the end: nothing is committed unless every
 * checksum, the entry list and the trailer match, and a damaged archive, a failure or a killed
 * process leave no tenant behind (provision's cleanup drops the reservation; a killed run's is
 * reclaimed by the next one).
 *
 * Why rows may reach COPY before their checksum is known: they go only into the new tenant's own
 * tables, whose DDL (triggers included) came from the checked schema.json, on a session logged in
 * as the tenant's owner role (no more than the tenant's rights: no other schema, no file or
 * program, no role), inside a transaction that is never committed before the whole archive has
 * matched. A mismatch anywhere throws, and the throw rolls the transaction back and drops a new
 * tenant's reservation (a --force replacement leaves the live tenant as it was), so altered rows
 * are never seen outside that transaction and never kept. Nothing they could do there is more
 * than an archive taken on --trust-unsigned may do anyway.
 */
export async function restoreArchive(db: Db, file: string, options: RestoreOptions): Promise<RestoreResult> {
  await requireRegistryWrite(db, 'Restoring a tenant')
  const trust = { trustUnsigned: options.trustUnsigned, decryptionKey: options.decryptionKey }
  let trusted = await openTrustedArchive(db, file, trust)
  try {
    const { manifest, manifestSha256 } = trusted.head
    const slug = options.as ?? manifest.tenant.slug
    const existing = await findTenant(db.knex, db.scope, slug)
    if (existing && !options.force) {
      throw conflict(`Tenant "${slug}" exists: a restore does not overwrite a live tenant`, {
        actions: [
          `Restore it under another slug: erp backup restore ${file} --as ${slug}_restored`,
          `Or replace it (a backup of it is taken first): erp backup restore ${file} --force`,
        ],
        data: { tenant: slug },
      })
    }
    const warnings: string[] = []
    if (trusted.signatureStatus !== 'valid') {
      warnings.push(`The archive is not signed by this registry (signature: ${trusted.signatureStatus}); restored on --trust-unsigned.`)
    }
    // An archive of a newer erp's schema: this erp would apply its own migrations around ones it
    // does not know, and could not write to the tenant afterwards. Refused before anything is done.
    const unknown = await unknownMigrations('tenant', manifest.migrations.applied)
    if (unknown.length) {
      throw newerSchemaError({ what: `The archive's tenant "${manifest.tenant.slug}"`, set: 'tenant', schema: tenantSchema(slug), tenant: slug, unknown })
    }
    let safety: BackupResult | undefined
    if (existing) {
      // A live tenant is disturbed (its sessions ended, its tables locked, a safety backup taken)
      // only for an archive known to be whole: --force reads and checks all of it first, as verify
      // does. The prompt and the safety backup may take long, so it is not held open over them (an
      // S3 GET would time out), but read again for the fill, pinned to the manifest checked here.
      await trusted.reader.rest()
      await options.confirmReplace?.(slug)
      safety = await backupTenant(db, slug, { outDir: options.safetyDir, toolVersion: options.toolVersion })
      options.onSafetyBackup?.(safety)
      trusted = await openTrustedArchive(db, file, { ...trust, manifestSha256 })
    }
    const { reader } = trusted

    let rows = 0
    const fill = async (trx: Knex.Transaction, tenant: Tenant): Promise<MigrationOutcome> => {
      const filled = await fillSchema(trx, { file, manifest, reader }, tenant, warnings)
      rows = filled.rows
      return migrateUp(trx, tenant.schema, 'tenant')
    }

    try {
      const outcome = existing
        ? await replaceTenant(db, existing, fill)
        // A new tenant is filled on a session logged in as its owner role: whatever the archive's
        // DDL says, it has no more than the tenant's rights. The registry row comes after the commit.
        : await provision(db, { slug, name: options.name ?? manifest.tenant.name, plan: manifest.tenant.plan ?? undefined }, async (reservation) => {
            const owner = await ownerLogin(db, reservation.tenant.ownerRole)
            const outcome = await owner.transaction(async (trx) => {
              await trx.raw(`set local search_path to ${quoteIdent(reservation.tenant.schema)}`)
              return fill(trx, reservation.tenant)
            })
            await reservation.transaction((trx) => registerTenant(trx, reservation, outcome.migrations))
            return outcome
          })
      return {
        tenant: slug,
        schema: tenantSchema(slug),
        from: { file, tenant: manifest.tenant.slug, createdAt: manifest.createdAt, version: manifest.migrations.version },
        tables: manifest.tables.length,
        rows,
        migrationsApplied: outcome.applied,
        replaced: Boolean(existing),
        safetyBackup: safety?.file,
        signature: trusted.signatureStatus,
        warnings,
      }
    } catch (err) {
      throw explainCreateFailure(err, slug)
    }
  } finally {
    trusted.reader.close()
  }
}

export interface FillSource {
  file: string
  /** The manifest the reader's head holds, checked (its signature) before this is called. */
  manifest: Manifest
  /** The archive, open past its head (openTrustedArchive): the fill reads the rest of it, once. */
  reader: ArchiveReader
}

/**
 * Fill an empty schema (on `trx`'s search_path, a session logged in as a role with the tenant's
 * rights only) from an archive: the pre-data DDL, every table through COPY, the post-data DDL, then
 * the grants rendered for `names`. `afterLoad` runs on the same session once all of it is in,
 * before the caller migrates or commits (deep verification compares the copy with the manifest
 * there). The archive is checked as it is read (see restoreArchive for why rows may reach COPY
 * before their table's checksum is known); the caller must not commit if this throws.
 */
export async function fillSchema(
  trx: Knex.Transaction,
  source: FillSource,
  names: TenantNames,
  warnings: string[],
  afterLoad?: (conn: pg.Client) => Promise<void>,
): Promise<{ rows: number }> {
  await trx.raw('set local check_function_bodies = off')
  await trx.raw('set local standard_conforming_strings = on')
  await trx.raw("set local maintenance_work_mem = '256MB'")
  await allowTenantTriggers(trx)
  const conn = (await trx.client.acquireConnection()) as pg.Client
  let doc: SchemaDoc | undefined
  let rows = 0
  try {
    await source.reader.rest({
      onSchema: async (schema) => {
        doc = schema
        for (const s of schema.statements.filter((s) => s.phase === 'pre')) await run(conn, s.sql, `${s.kind} ${s.name}`)
      },
      onTable: async (table, data) => {
        rows += await loadTable(conn, table, data)
      },
    })
    for (const s of doc!.statements.filter((s) => s.phase === 'post')) await run(conn, s.sql, `${s.kind} ${s.name}`)
    for (const statement of await renderNamedStatements(conn, doc!, names, warnings)) await run(conn, statement, 'grants')
    await afterLoad?.(conn)
  } finally {
    await trx.client.releaseConnection(conn)
  }
  return { rows }
}

/**
 * --force: the live tenant's schema is emptied and refilled in ONE transaction on a session logged
 * in as its owner role (a schema's owner may drop everything in it), so the archive's DDL runs with
 * the tenant's rights only, and a failure leaves the tenant as it was. The schema, its roles (stored
 * logins keep working) and its registry row stay; the registry's record follows the commit.
 */
async function replaceTenant(db: Db, existing: Tenant, fill: (trx: Knex.Transaction, tenant: Tenant) => Promise<MigrationOutcome>): Promise<MigrationOutcome> {
  await terminateSessions(db.knex, existing)
  const owner = await ownerLogin(db, existing.ownerRole)
  const outcome = await owner.transaction(async (trx) => {
    await migrationLock(trx, existing.schema)
    await trx.raw(`set local search_path to ${quoteIdent(existing.schema)}`)
    await dropSchemaContents(trx, existing.schema)
    return fill(trx, existing)
  })
  await db.knex.transaction(async (trx) => {
    await recordSchemaMigrations(trx, existing.slug, outcome.migrations)
    await trx.withSchema('erp').table('tenants').where('slug', existing.slug).update({ updated_at: trx.fn.now() })
  })
  return outcome
}

/**
 * Everything in the schema, dropped by its owner: relations first (their indexes, constraints,
 * triggers and owned sequences go with them), then routines, then types. Anything left over makes
 * the refill fail on "already exists" and the whole replacement roll back.
 */
async function dropSchemaContents(trx: Knex.Transaction, schema: string): Promise<void> {
  const { rows } = await trx.raw(
    `select 1 as pass, case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence'
              when 'f' then 'foreign table' else 'table' end as kind, format('%I.%I', n.nspname, c.relname) as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ? and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and not c.relispartition
        -- identity and serial sequences go with their tables
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))
     union all
     select 2, case p.prokind when 'a' then 'aggregate' else 'routine' end, p.oid::regprocedure::text
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = ?
     union all
     select 3, case t.typtype when 'd' then 'domain' else 'type' end, format('%I.%I', n.nspname, t.typname)
       from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where n.nspname = ? and t.typtype in ('c', 'e', 'd', 'r', 'm') and (t.typrelid = 0 or (select relkind from pg_class where oid = t.typrelid) = 'c')
        and t.typelem = 0
     order by 1`,
    [schema, schema, schema],
  )
  for (const { kind, name } of rows) await trx.raw(`drop ${kind} if exists ${name} cascade`)
}

async function loadTable(conn: pg.Client, table: ManifestTable, data: Readable): Promise<number> {
  const { from: copyFrom } = await import('pg-copy-streams')
  const columns = table.columns.length ? ` (${table.columns.map(quoteIdent).join(', ')})` : ''
  const copy = conn.query(copyFrom(`COPY ${quoteIdent(table.name)}${columns} FROM STDIN`))
  try {
    await pipeline(data, copy)
  } catch (err) {
    // A failing source (a damaged archive) is reported by the reader; the server's refusals here.
    if (!sqlStateOf(err)) throw err
    throw new ErpError(ErrorKind.FAILED, `Loading table ${table.name} failed: ${(err as Error).message}`, { cause: err })
  }
  return copy.rowCount
}

export async function run(conn: pg.Client, sql: string, what: string): Promise<void> {
  try {
    // The extended protocol runs one command or none: the server refuses "a; b" before running a.
    await conn.query({ text: sql, queryMode: 'extended' } as pg.QueryConfig)
  } catch (err) {
    throw new ErpError(ErrorKind.FAILED, `Restoring ${what} failed: ${(err as Error).message}`, {
      actions: ['Nothing was changed. Check that the server has what the schema needs (extensions, roles), or report the archive.'],
      data: { statement: sql },
      cause: translateDbError(err),
    })
  }
}

/**
 * The statements that name the schema or roles: grants, default privileges, functions' search_path
 * and the schema's comment, rendered for the tenant being restored. The old tenant's roles become
 * the new tenant's; other roles are kept when the server has them, and skipped with a warning if not.
 */
export async function renderNamedStatements(conn: pg.Client, doc: SchemaDoc, names: TenantNames, warnings: string[]): Promise<string[]> {
  const others = new Set<string>()
  const collect = (r: RoleRef) => r.kind === 'role' && others.add(r.name)
  for (const acl of doc.acls) acl.grants.forEach((g) => collect(g.grantee))
  for (const acl of doc.defaultAcls) [acl.role, ...acl.grants.map((g) => g.grantee)].forEach(collect)
  others.add(names.loginRole)
  // to_regrole, not pg_roles: the owner's login this runs on may not list the server's roles.
  const { rows } = await conn.query('select r as rolname from unnest($1::text[]) r where to_regrole(quote_ident(r)) is not null', [[...others]])
  const present = new Set(rows.map((r: { rolname: string }) => r.rolname))
  const role = (r: RoleRef): string | undefined => {
    const name = r.kind === 'public' ? 'PUBLIC' : r.kind === 'owner' ? names.ownerRole : r.kind === 'login' ? names.loginRole : r.name
    if (name === 'PUBLIC') return name
    if (present.has(name) || name === names.ownerRole) return quoteIdent(name)
    if (r.kind === 'role') warnings.push(`Role ${name} does not exist on this server: its grants were not restored.`)
    return undefined
  }
  const grant = (g: AclGrant, on: string): string | undefined => {
    const to = role(g.grantee)
    return to && `GRANT ${g.privilege} ON ${on} TO ${to}${g.grantable ? ' WITH GRANT OPTION' : ''}`
  }
  const schema = quoteIdent(names.schema)
  const out: string[] = []
  for (const acl of doc.acls) {
    const target = acl.target ?? `SCHEMA ${schema}`
    if (acl.column) {
      for (const g of acl.grants) {
        const to = role(g.grantee)
        if (to) out.push(`GRANT ${g.privilege} (${quoteIdent(acl.column)}) ON ${target} TO ${to}${g.grantable ? ' WITH GRANT OPTION' : ''}`)
      }
      continue
    }
    out.push(`REVOKE ALL ON ${target} FROM PUBLIC`, `REVOKE ALL ON ${target} FROM ${quoteIdent(names.ownerRole)}`)
    for (const g of acl.grants) {
      const statement = grant(g, target)
      if (statement) out.push(statement)
    }
  }
  for (const acl of doc.defaultAcls) {
    const owner = role(acl.role)
    if (!owner) continue
    for (const g of acl.grants) {
      const to = role(g.grantee)
      if (to) out.push(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT ${g.privilege} ON ${acl.objectType} TO ${to}${g.grantable ? ' WITH GRANT OPTION' : ''}`)
    }
  }
  for (const { target, settings } of doc.functionSettings ?? []) {
    for (const setting of settings) {
      const value = 'path' in setting
        ? setting.path.map((p) => ('self' in p ? schema : quoteIdent(p.name))).join(', ')
        : quoteLiteral(setting.value)
      out.push(`ALTER ${target} SET ${quoteIdent(setting.name)} TO ${value}`)
    }
  }
  if (doc.schemaComment !== null) out.push(`COMMENT ON SCHEMA ${schema} IS ${quoteLiteral(doc.schemaComment)}`)
  return out
}
