import type { Knex } from 'knex'

import { loadPg } from './pg-driver.js'

export interface ConnectionOptions {
  /**
   * A postgres:// URL, or an object the pg driver takes, or a function giving one; knex calls it
   * again when its `expirationChecker` says so (an owner login's password expires: owner-login.ts).
   */
  connection: string | Knex.PgConnectionConfig | (() => Promise<Knex.PgConnectionConfig & { expirationChecker?: () => boolean }>)
  /** Upper bound of pooled connections; commands need one, fleet work a few. */
  poolMax?: number
  applicationName?: string
}

/** The one knex factory. knex and pg are imported here, lazily, so start-up stays light. */
export async function createKnex(options: ConnectionOptions): Promise<Knex> {
  await loadPg() // knex's own require('pg') then finds it loaded
  const { default: knex } = await import('knex')
  const applicationName = options.applicationName ?? 'erp'
  const source = options.connection
  const connection = typeof source === 'function'
    ? async () => ({ application_name: applicationName, ...(await source()) })
    : { application_name: applicationName, ...(typeof source === 'string' ? { connectionString: source } : source) }
  const instance = knex({
    client: 'pg',
    // knex asks each pool's first connection `select version()`, and uses the answer only to pick
    // json over text for json columns (9.2 and later). erp needs PostgreSQL 14 or later anyway.
    version: '14',
    connection,
    pool: { min: 0, max: options.poolMax ?? 4, idleTimeoutMillis: 10_000 },
    acquireConnectionTimeout: 60_000,
    // Errors reach the operator as ErpErrors; knex's own console logging would only duplicate them.
    log: { warn: () => {}, error: () => {}, deprecate: () => {}, debug: () => {} },
    // knex puts the failing statement in front of PostgreSQL's message, by default with the bound
    // values written in (a password hash, a customer's data). Not interpolated, it can be cut off again.
    compileSqlOnError: false,
  })
  instance.on('query-error', withoutStatement)
  return instance
}

/**
 * PostgreSQL's own message, without the statement knex put in front of it (`<sql> - <message>`):
 * an operator reads what went wrong, not our SQL, and no bound value reaches a terminal or a log.
 */
function withoutStatement(err: unknown, query: { sql?: string }): void {
  if (!(err instanceof Error) || !query?.sql) return
  const prefix = `${query.sql} - `
  if (err.message.startsWith(prefix)) err.message = err.message.slice(prefix.length)
}
