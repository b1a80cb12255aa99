import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { setUpTestDatabase, tearDownTestDatabase } from './database.js'
import { takeWarnings, watchProcessWarnings } from './node-warnings.js'
import { buildTemplate, dropTemplate, sweepInterruptedRuns, type TestRun } from './template-database.js'
import { startTestServer } from './test-server.js'

/**
 * Mocha's global fixtures run once per run, in the main process (also with --parallel, before any
 * worker starts): the server under test and the run's template database. Its root hooks run once
 * per file in parallel mode (once per run when serial): a copy of the template for the file, and a
 * private config folder, so tests never touch the operator's own profiles or credentials.
 */
let run: TestRun | undefined

export async function mochaGlobalSetup(): Promise<void> {
  delete process.env.DATABASE_URL
  const server = await startTestServer()
  await sweepInterruptedRuns(server)
  run = await buildTemplate(server)
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (run) await dropTemplate(run)
}

let configDir: string | undefined

watchProcessWarnings()

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000)
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-test-config-'))
    process.env.ERP_CONFIG_DIR = configDir
    process.env.ERP_CREDENTIAL_STORE = 'file'
    delete process.env.ERP_PROFILE
    delete process.env.ERP_TENANT
    await setUpTestDatabase()
  },
  /** A Node warning (DeprecationWarning…) printed during a test, in process or by a spawned erp, fails it. */
  afterEach(this: Mocha.Context) {
    const warnings = takeWarnings()
    if (warnings.length) {
      throw new Error(`Node printed ${warnings.length} warning(s) during "${this.currentTest?.fullTitle()}":\n${warnings.join('\n')}`)
    }
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(120_000)
    await tearDownTestDatabase()
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true })
  },
}
