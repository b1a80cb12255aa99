import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'

import { ErpError, ErrorKind, notFound } from '../errors.js'
import { checkCitusSql, splitStatements, type CitusRule } from './citus-rules.js'
import type { Db } from './connect.js'
import { quoteIdent } from './identifiers.js'
import { appliedBySchema, loadMigrations, type MigrationFile } from './migrator.js'
import { requireAdmin } from './registry.js'

/**
 * `erp migrate lint`: which DDL in a migration would rewrite or lock a large tenant table.
 *
 * The SQL is not guessed from the JavaScript: every migration of the tree runs, in order, inside a
 * scratch schema created in a transaction that is rolled back, with a knex 'query' listener
 * capturing what the linted migrations send. No tenant table is touched or locked. Each statement
 * is then checked by rules, and a table whose relfilenode changed across a migration was
 * rewritten (a volatile default, a column type change...), which PostgreSQL itself tells us.
 * Table sizes are the largest estimate over all tenants (pg_class.reltuples, pg_stat n_live_tup).
 * Every call a migration sends is also checked by the Citus rules (citus-rules.ts), whatever the
 * table sizes: SQL that a coordinator with schema-based sharding refuses fails in every tenant.
 */

export { splitStatements }

export type LintRule =
  | 'table-rewrite'
  | 'alter-column-type'
  | 'volatile-default'
  | 'index-without-concurrently'
  | 'not-null-without-default'
  | 'set-not-null'
  | 'validating-constraint'
  | 'explicit-lock'
  | CitusRule

export interface LintFinding {
  migration: string
  rule: LintRule
  table: string | null
  /** The largest row estimate of that table over all tenants. */
  rows: number | null
  statement: string
  message: string
}

export interface LintResult {
  migrations: string[]
  statements: number
  rowThreshold: number
  findings: LintFinding[]
}

export interface LintOptions {
  /** A migration file to lint instead of the pending ones. */
  file?: string
  /** Tables above this many rows (in the largest tenant) count as large. */
  rowThreshold: number
}

class Rollback extends Error {}

export async function lintMigrations(db: Db, options: LintOptions): Promise<LintResult> {
  requireAdmin(db.scope, 'Linting migrations')
  const tree = await loadMigrations('tenant')
  const { plan, targets } = options.file ? await planForFile(tree, options.file) : await planPending(db, tree)
  const sizes = await tableSizes(db.knex)
  const captured = new Map<string, string[]>()
  const rewritten = new Map<string, string[]>()
  const created = new Map<string, Set<string>>()

  let tableNameTriggers = new Set<string>()
  let capturing: string[] | undefined
  const listener = (query: { sql: string }) => capturing?.push(query.sql)
  db.knex.on('query', listener)
  try {
    await db.knex.transaction(async (trx) => {
      const scratch = `erp_lint_${randomBytes(6).toString('hex')}`
      // With Citus schema-based sharding on, a new schema becomes a distributed one, with its
      // tables on a worker: the scratch schema stays a plain local one. Set only where the
      // setting exists (on plain PostgreSQL there is nothing to turn off).
      await trx.raw(
        `select set_config(name, 'off', true) from pg_settings where name = 'citus.enable_schema_based_sharding'`,
      )
      await trx.raw(`create schema ${quoteIdent(scratch)}`)
      await trx.raw(`set local search_path to ${quoteIdent(scratch)}`)
      for (const migration of plan) {
        const isTarget = targets.has(migration.name)
        const before = isTarget ? await relfilenodes(trx, scratch) : undefined
        if (isTarget) captured.set(migration.name, (capturing = []))
        try {
          await migration.up(trx)
        } catch (err) {
          throw new ErpError(ErrorKind.FAILED, `Migration ${migration.name} failed in a scratch schema: ${(err as Error).message}`, {
            actions: ['Fix the migration: it would fail in every tenant too.'],
            cause: err,
          })
        } finally {
          capturing = undefined
        }
        if (before) {
          const after = await relfilenodes(trx, scratch)
          rewritten.set(migration.name, [...before].filter(([table, node]) => after.has(table) && after.get(table) !== node).map(([t]) => t))
          created.set(migration.name, new Set([...after.keys()].filter((t) => !before.has(t))))
        }
      }
      tableNameTriggers = await functionsReadingTableName(trx, scratch)
      throw new Rollback()
    })
  } catch (err) {
    if (!(err instanceof Rollback)) throw err
  } finally {
    db.knex.off('query', listener)
  }

  const findings: LintFinding[] = []
  let statements = 0
  for (const [migration, sqls] of captured) {
    for (const sql of sqls) {
      for (const hit of checkCitusSql(sql)) {
        // A trigger function a later migration replaced is judged as it stands at the end.
        if (hit.rule === 'citus-trigger-table-name' && !tableNameTriggers.has(createdFunction(sql) ?? '')) continue
        findings.push({ migration, rule: hit.rule, table: null, rows: null, statement: oneLine(sql), message: hit.message })
      }
    }
    const stmts = sqls.flatMap(splitStatements)
    statements += stmts.length
    const fresh = created.get(migration) ?? new Set()
    const rowsOf = (table: string | null) => (table ? sizes.get(table) ?? 0 : null)
    const large = (table: string | null) => table !== null && !fresh.has(table) && (rowsOf(table) ?? 0) > options.rowThreshold
    for (const statement of stmts) {
      for (const hit of checkStatement(statement)) {
        // A NOT NULL column without a default fails on any table with rows; the others matter when large.
        const big = hit.rule === 'not-null-without-default'
          ? hit.table !== null && !fresh.has(hit.table) && (rowsOf(hit.table) ?? 0) > 0
          : large(hit.table)
        if (!big && hit.rule !== 'explicit-lock') continue
        findings.push({ migration, ...hit, rows: rowsOf(hit.table), statement: oneLine(statement) })
      }
    }
    for (const t of rewritten.get(migration) ?? []) {
      if (!large(t) || findings.some((f) => f.migration === migration && f.table === t && REWRITES.has(f.rule))) continue
      findings.push({
        migration,
        rule: 'table-rewrite',
        table: t,
        rows: rowsOf(t),
        statement: oneLine(stmts.find((s) => mentions(s, t)) ?? ''),
        message: `rewrites ${t} under an ACCESS EXCLUSIVE lock (PostgreSQL gave it a new file)`,
      })
    }
  }
  return { migrations: [...targets], statements, rowThreshold: options.rowThreshold, findings }
}

const REWRITES = new Set<LintRule>(['alter-column-type', 'volatile-default', 'table-rewrite'])

/** Pending = not applied in at least one live tenant (or all of them when there are no tenants). */
async function planPending(db: Db, tree: MigrationFile[]) {
  const { rows } = await db.knex.raw(`select schema_name from erp.tenants where status <> 'deleted'`)
  const applied = await appliedBySchema(db.knex, rows.map((r: { schema_name: string }) => r.schema_name))
  const targets = new Set<string>()
  for (const m of tree) {
    if (applied.size === 0 || [...applied.values()].some((names) => !names.includes(m.name))) targets.add(m.name)
  }
  return { plan: tree, targets }
}

/** A given file runs after the tree's migrations that sort before it (all of them, for other names). */
async function planForFile(tree: MigrationFile[], file: string) {
  const name = path.basename(file)
  let mod: { up?: unknown; down?: unknown }
  try {
    mod = await import(pathToFileURL(path.resolve(file)).href)
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new ErpError(ErrorKind.FILE_NOT_FOUND, `Migration file not found: ${file}`, { cause: err })
    }
    throw err
  }
  if (typeof mod.up !== 'function') throw notFound(`${file} exports no up() function`)
  const own: MigrationFile = { name, up: mod.up as MigrationFile['up'] }
  const before = /^\d{14}_/.test(name) ? tree.filter((m) => m.name < name) : tree.filter((m) => m.name !== name)
  return { plan: [...before, own], targets: new Set([name]) }
}

/** Functions of the scratch schema, after the whole plan, whose body reads their table's name or oid. */
async function functionsReadingTableName(trx: Knex.Transaction, schema: string): Promise<Set<string>> {
  const { rows } = await trx.raw(
    `select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = ? and p.prosrc ~* '\\mtg_(table_name|relname|relid)\\M'`,
    [schema],
  )
  return new Set(rows.map((r: { proname: string }) => r.proname))
}

/** The (unqualified, lower-case) name of the function a CREATE FUNCTION statement makes. */
function createdFunction(sql: string): string | undefined {
  const m = /\bcreate\s+(?:or\s+replace\s+)?function\s+(?:[\w"]+\s*\.\s*)?("(?:[^"]|"")+"|[a-z_][\w$]*)/i.exec(sql)
  return m ? unquote(m[1]) : undefined
}

async function relfilenodes(trx: Knex.Transaction, schema: string): Promise<Map<string, string>> {
  const { rows } = await trx.raw(
    `select c.relname, c.relfilenode::text as node from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ? and c.relkind in ('r', 'm')`,
    [schema],
  )
  return new Map(rows.map((r: { relname: string; node: string }) => [r.relname, r.node]))
}

/** The largest row estimate of each table name over all tenant schemas. */
async function tableSizes(knex: Knex): Promise<Map<string, number>> {
  const { rows } = await knex.raw(
    `select c.relname, max(greatest(c.reltuples, coalesce(s.n_live_tup, 0)))::float8 as rows
       from erp.tenants t
       join pg_namespace n on n.nspname = t.schema_name
       join pg_class c on c.relnamespace = n.oid and c.relkind in ('r', 'p', 'm')
       left join pg_stat_user_tables s on s.relid = c.oid
      where t.status <> 'deleted'
      group by c.relname`,
  )
  return new Map(rows.map((r: { relname: string; rows: number }) => [r.relname, Math.max(0, Math.round(r.rows))]))
}

// ---------------------------------------------------------------------------------------------
// Statement rules

const VOLATILE = /\b(random|gen_random_uuid|uuid_generate_v[14]|clock_timestamp|timeofday|nextval|txid_current)\s*\(/i
const IDENT = `(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`
const QUALIFIED = `(?:${IDENT}\\s*\\.\\s*)?(${IDENT})`

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase()
}

function mentions(statement: string, tableName: string): boolean {
  return new RegExp(`\\b${tableName.replace(/[^a-z0-9_]/gi, '.')}\\b`, 'i').test(statement)
}

interface Hit {
  rule: LintRule
  table: string | null
  message: string
}

/** The rules for one statement, without table sizes (the caller weighs them). */
export function checkStatement(sql: string): Hit[] {
  const s = sql.replace(/\s+/g, ' ').trim()
  const hits: Hit[] = []
  const alter = new RegExp(`^alter table (?:if exists )?(?:only )?${QUALIFIED} (.*)$`, 'i').exec(s)
  if (alter) {
    const t = unquote(alter[1])
    for (const action of splitTopLevel(alter[2], ',')) {
      const a = action.trim()
      if (/^alter (?:column )?\S+ (?:set data )?type /i.test(a)) {
        hits.push({ rule: 'alter-column-type', table: t, message: `changes a column type of ${t}: most type changes rewrite the table under an ACCESS EXCLUSIVE lock` })
      } else if (/^add (?:column )?/i.test(a) && !/^add (?:constraint|primary|unique|foreign|check|exclude)\b/i.test(a)) {
        const def = /\bdefault\b(.*)$/i.exec(a)
        if ((def && VOLATILE.test(def[1])) || /\b(big|small)?serial\b/i.test(a) || /\bgenerated (always|by default) as identity\b/i.test(a) || /\bgenerated always as \(.*\) stored\b/i.test(a)) {
          hits.push({ rule: 'volatile-default', table: t, message: `adds a column to ${t} whose value is computed per row (volatile default, serial, identity or stored generated): the table is rewritten under an ACCESS EXCLUSIVE lock` })
        } else if (/\bnot null\b/i.test(a) && !def) {
          hits.push({ rule: 'not-null-without-default', table: t, message: `adds a NOT NULL column without a default to ${t}, which has rows: the migration fails there` })
        }
      } else if (/^alter (?:column )?\S+ set not null/i.test(a)) {
        hits.push({ rule: 'set-not-null', table: t, message: `SET NOT NULL scans all of ${t} under an ACCESS EXCLUSIVE lock (add a CHECK (... IS NOT NULL) NOT VALID constraint and validate it first)` })
      } else if (/^add (?:constraint \S+ )?(?:foreign key|check)\b/i.test(a) && !/\bnot valid\b/i.test(a)) {
        hits.push({ rule: 'validating-constraint', table: t, message: `adds a constraint to ${t} that is checked against every row while writes are blocked: add it NOT VALID, then VALIDATE CONSTRAINT in a later migration` })
      } else if (/^add (?:constraint \S+ )?(?:primary key|unique)\b/i.test(a) && !/\busing index\b/i.test(a)) {
        hits.push({ rule: 'index-without-concurrently', table: t, message: `adds a PRIMARY KEY/UNIQUE constraint to ${t}, building its index while writes are blocked` })
      }
    }
  }
  const index = new RegExp(`^create (?:unique )?index (concurrently )?(?:if not exists )?(?:${IDENT} )?on (?:only )?${QUALIFIED}`, 'i').exec(s)
  if (index && !index[1]) {
    const t = unquote(index[2])
    hits.push({
      rule: 'index-without-concurrently',
      table: t,
      message: `builds an index on ${t} without CONCURRENTLY: writes to ${t} wait until it is built ` +
        '(erp runs a tenant\'s migrations in one transaction, where CONCURRENTLY is not allowed: build big indexes in a quiet window)',
    })
  }
  const lock = new RegExp(`^(lock (?:table )?${QUALIFIED}|vacuum full|cluster\\b|refresh materialized view (?!concurrently))`, 'i').exec(s)
  if (lock) {
    hits.push({ rule: 'explicit-lock', table: lock[2] ? unquote(lock[2]) : null, message: `takes an exclusive lock explicitly (${lock[1].trim().split(' ').slice(0, 2).join(' ')})` })
  }
  return hits
}

/** Split on `sep` outside parentheses and quotes. */
function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quote: string | null = null
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === quote) quote = null
    } else if (c === "'" || c === '"') quote = c
    else if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

const oneLine = (s: string) => {
  const line = s.replace(/\s+/g, ' ').trim()
  return line.length > 160 ? `${line.slice(0, 157)}...` : line
}
