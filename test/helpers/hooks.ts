import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { setUpTestDatabase, tearDownTestDatabase } from './database.js'

/**
 * Mocha root hooks: one database for the run, and a private config folder, so tests never touch
 * the operator's own profiles or credentials. DATABASE_URL reaches services and spawned CLIs alike.
 */
let configDir: string | undefined

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000)
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-test-config-'))
    process.env.ERP_CONFIG_DIR = configDir
    process.env.ERP_CREDENTIAL_STORE = 'file'
    delete process.env.ERP_PROFILE
    delete process.env.ERP_TENANT
    delete process.env.DATABASE_URL
    await setUpTestDatabase()
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(120_000)
    await tearDownTestDatabase()
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true })
  },
}
