import { randomBytes } from 'node:crypto'

import { expect } from 'chai'

import { runCli } from '../helpers/cli.js'
import { adminQuery } from '../helpers/database.js'

describe('erp doctor (through bin/run.js)', function () {
  this.timeout(120_000)

  it('on a database without a registry says what is missing and the command that sets it up', async () => {
    const empty = `erp_test_empty_${randomBytes(3).toString('hex')}`
    await adminQuery(`create database ${empty}`)
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = `/${empty}`
    const env = { DATABASE_URL: url.toString() }
    try {
      const doctor = await runCli(['doctor', '--json'], { env })
      expect(doctor.code, doctor.stdout + doctor.stderr).to.equal(1)
      const checks: Array<{ check: string; status: string; detail: string; action?: string }> = doctor.json.result.items
      // No raw driver message anywhere: no check reads a table that is not there.
      expect(JSON.stringify(checks)).not.to.match(/does not exist|relation/)
      const registry = checks.find((c) => c.check === 'registry')!
      expect(registry.status).to.equal('fail')
      expect(registry.detail).to.contain(`no erp registry in database ${empty}`)
      expect(registry.action).to.match(/^erp migrate latest --registry/)
      // Doctor itself changes nothing: the database is still empty.
      expect((await runCli(['doctor', '--json'], { env })).json.result.items.find((c: { check: string }) => c.check === 'registry').status).to.equal('fail')

      // The suggested command works as printed, and then the registry checks pass.
      const suggested = registry.action!.match(/^erp ([^(]+?)(?: \(|$)/)![1].split(' ')
      const setUp = await runCli([...suggested, '--json'], { env })
      expect(setUp.code, setUp.stdout + setUp.stderr).to.equal(0)
      const after = (await runCli(['doctor', '--json'], { env })).json.result.items as typeof checks
      expect(after.find((c) => c.check === 'registry')).to.equal(undefined)
      for (const check of ['registry migrations', 'tenant migrations', 'registry identity']) {
        expect(after.find((c) => c.check === check)?.status, check).to.equal('ok')
      }
    } finally {
      await adminQuery(`drop database if exists ${empty} with (force)`)
    }
  })
})
