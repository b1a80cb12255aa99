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
  /**
   * Open the pool's first connection now, while knex itself loads, instead of at the first query:
   * a server takes a while to start a backend and authenticate (tens of ms), time a command start
   * otherwise spends waiting. For callers that query at once; a fixed connection only.
   */
  connectEarly?: boolean
}

/** The one knex factory. knex and pg are imported here, lazily, so start-up stays light. */
export async function createKnex(options: ConnectionOptions): Promise<Knex> {
  const pg = await loadPg() // knex's own require('pg') then finds it loaded
  const applicationName = options.applicationName ?? 'erp'
  const source = options.connection
  const connection = typeof source === 'function'
    ? async () => ({ application_name: applicationName, ...(await source()) })
    : { application_name: applicationName, ...(typeof source === 'string' ? { connectionString: source } : source) }
  const early = options.connectEarly && typeof connection !== 'function' ? startConnection(pg, connection) : undefined
  const { default: knex } = await import('knex')
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
  if (early) adoptAsFirstConnection(instance, early)
  return instance
}

type PgClient = InstanceType<Awaited<ReturnType<typeof loadPg>>['Client']> & { __knex__disposed?: unknown }

/** A connection as knex's PostgreSQL client opens one (its _acquireOnlyConnection), started now. */
function startConnection(pg: Awaited<ReturnType<typeof loadPg>>, settings: Knex.PgConnectionConfig): Promise<PgClient> {
  const client: PgClient = new pg.Client({ ...settings } as ConstructorParameters<typeof pg.Client>[0])
  client.on('error', (err) => {
    client.__knex__disposed = err
  })
  client.on('end', () => {
    client.__knex__disposed = 'Connection ended unexpectedly'
  })
  const connected = client.connect().then(() => client)
  // Its failure reaches whoever takes it (the first query, as knex's own connect would); a pool
  // destroyed before any query never takes it.
  connected.catch(() => {})
  return connected
}

/**
 * The pool's first new connection is the one started early; later ones knex opens itself. A pool
 * destroyed before taking it (no query ran) closes it, or it would keep the process alive.
 */
function adoptAsFirstConnection(instance: Knex, early: Promise<PgClient>): void {
  const client = instance.client as { _acquireOnlyConnection(): Promise<PgClient>; destroy(callback?: unknown): Promise<void> }
  const openOwn = client._acquireOnlyConnection.bind(client)
  const destroy = client.destroy.bind(client)
  let pending: Promise<PgClient> | undefined = early
  client._acquireOnlyConnection = () => {
    const taken = pending
    pending = undefined
    return taken ?? openOwn()
  }
  client.destroy = async (callback) => {
    const untaken = pending
    pending = undefined
    if (untaken) await untaken.then((c) => c.end(), () => {})
    return destroy(callback)
  }
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
