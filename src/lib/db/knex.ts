import type { Knex } from 'knex'

export interface ConnectionOptions {
  /** A postgres:// URL, or an object the pg driver takes. */
  connection: string | Knex.PgConnectionConfig
  /** Upper bound of pooled connections; commands need one, fleet work a few. */
  poolMax?: number
  applicationName?: string
}

/** The one knex factory. knex and pg are imported here, lazily, so start-up stays light. */
export async function createKnex(options: ConnectionOptions): Promise<Knex> {
  const { default: knex } = await import('knex')
  const base: Knex.PgConnectionConfig =
    typeof options.connection === 'string' ? { connectionString: options.connection } : { ...options.connection }
  return knex({
    client: 'pg',
    connection: { application_name: options.applicationName ?? 'erp', ...base },
    pool: { min: 0, max: options.poolMax ?? 4, idleTimeoutMillis: 10_000 },
    acquireConnectionTimeout: 60_000,
    // Errors reach the operator as ErpErrors; knex's own console logging would only duplicate them.
    log: { warn: () => {}, error: () => {}, deprecate: () => {}, debug: () => {} },
  })
}
