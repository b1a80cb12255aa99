import { expect } from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { runProcess } from '../../helpers/cli.js'

// Processes of their own: starting, sharing and stopping the server across erp processes is the point.
describe('the embedded server', function () {
  this.timeout(120_000)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-embedded-test-'))
  // Root's embedded server runs as the unprivileged postgres user, which must reach the folder.
  fs.chmodSync(dataDir, 0o755)
  const env = { ERP_DATA_DIR: dataDir, DATABASE_URL: undefined }

  after(async () => {
    await runProcess(['server', 'stop'], { env })
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('is initialised once and shared when two erp processes start at the same time', async () => {
    const [a, b] = await Promise.all([runProcess(['tenants', 'list', '--json'], { env }), runProcess(['tenants', 'list', '--json'], { env })])
    expect(a.code, a.stdout + a.stderr).to.equal(0)
    expect(b.code, b.stdout + b.stderr).to.equal(0)
    const status = await runProcess(['server', 'status', '--json'], { env })
    expect(status.json.result).to.include({ running: true, initialised: true })
    const postmasters = fs.readFileSync(path.join(dataDir, 'pg17', 'postmaster.pid'), 'utf8').split('\n')[0]
    expect(Number(postmasters)).to.equal(status.json.result.pid)
  })

  it('listens on a port of its own, not on 5432, and survives a stop and a restart', async () => {
    const status = await runProcess(['server', 'status', '--json'], { env })
    expect(status.json.result.port).to.not.equal(5432)
    expect((await runProcess(['server', 'stop', '--json'], { env })).json.result).to.deep.equal({ stopped: true })
    const created = await runProcess(['tenants', 'create', 'embedded_check', '--json'], { env })
    expect(created.code, created.stderr).to.equal(0)
    const listed = await runProcess(['tenants', 'list', '--json'], { env })
    expect(listed.json.result.items.map((t: { slug: string }) => t.slug)).to.deep.equal(['embedded_check'])
  })
})
