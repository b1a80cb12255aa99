import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

import { ensureEmbeddedServer } from '../../src/lib/db/embedded-server.js'

/**
 * The PostgreSQL server the tests run on: TEST_DATABASE_URL, or else an embedded server of the
 * tests' own. Not the operator's embedded server: that one keeps real data, and the tests' is tuned
 * to lose it (fsync off). Its data directory is per user and outside the checkout (ERP_TEST_DATA_DIR
 * to move it), so every worktree and CI clone shares one server, left running between runs like the
 * operator's; ensureEmbeddedServer's lock file keeps concurrent first starts safe. Stop it with
 * `ERP_DATA_DIR=<that folder> erp server stop`; delete the folder to start afresh.
 */

export function testDataDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user'
  return path.resolve(process.env.ERP_TEST_DATA_DIR ?? path.join(os.tmpdir(), `erp-test-server-${uid}`))
}

/**
 * What a test cluster may skip: a crash loses at most what the tests were doing. Every one of these
 * takes effect on a reload (sighup). synchronous_commit is also set per test database
 * (template-database.ts), which covers TEST_DATABASE_URL's server, whose configuration is not ours.
 */
const THROWAWAY_CLUSTER: Record<string, string> = { fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off' }

/** Start (or find) the server under test and return a superuser URL for it. */
export async function startTestServer(): Promise<string> {
  // Everything in this process, and every erp it spawns, sees the tests' server, never the operator's.
  process.env.ERP_DATA_DIR = testDataDir()
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL
  const url = await ensureEmbeddedServer()
  await tuneForTests(url)
  return url
}

async function tuneForTests(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query('select name, setting from pg_settings where name = any($1)', [Object.keys(THROWAWAY_CLUSTER)])
    const off = rows.filter((r) => r.setting !== THROWAWAY_CLUSTER[r.name])
    if (off.length === 0) return
    // ALTER SYSTEM writes postgresql.auto.conf in the tests' own data directory, nowhere else.
    for (const { name } of off) await client.query(`alter system set ${name} = '${THROWAWAY_CLUSTER[name]}'`)
    await client.query('select pg_reload_conf()')
  } finally {
    await client.end()
  }
}
