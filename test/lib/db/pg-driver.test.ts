import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { expect } from 'chai'

const driver = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/lib/db/pg-driver.ts')).href

describe('loadPg', () => {
  it("loads pg without Node's fetch implementation, and leaves no navigator behind", () => {
    // A fresh process: this one has loaded who knows what already.
    const probe = `
      const nativeNavigator = 'navigator' in globalThis
      const { loadPg } = await import(${JSON.stringify(driver)})
      const pg = await loadPg()
      console.log(JSON.stringify({
        fetchLoaded: process.moduleLoadList.some((m) => m.includes('undici')),
        navigatorLeft: !nativeNavigator && 'navigator' in globalThis,
        client: typeof pg.Client,
      }))`
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8' })
    expect(run.status, run.stderr).to.equal(0)
    expect(JSON.parse(run.stdout)).to.deep.equal({ fetchLoaded: false, navigatorLeft: false, client: 'function' })
  })
})
