import { expect } from 'chai'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { runCli } from '../helpers/cli.js'
import { uniqueSlug } from '../helpers/database.js'

describe('command conventions: exit codes, the --json envelope, help', () => {
  it('a usage error exits 2, with the same envelope under ERP_CONTENT_TYPE=json', async () => {
    const r = await runCli(['tenants', 'create'], { env: { ERP_CONTENT_TYPE: 'json' } })
    expect(r.code).to.equal(2)
    expect(r.json).to.include({ status: 2 })
    expect(r.json.error).to.include.keys('name', 'message', 'kind', 'actions')
    const unknown = await runCli(['tenants', 'list', '--bogus', '--json'])
    expect(unknown.code).to.equal(2)
  })

  it('a missing input file exits 66', async () => {
    const r = await runCli(['sql', 'exec', '--file', '/nonexistent/script.sql', '--all-tenants', '--json'])
    expect(r.code).to.equal(66)
    expect(r.json.error.kind).to.equal('FILE_NOT_FOUND')
  })

  it('an unreachable database exits 69 and says what to check', async () => {
    const r = await runCli(['tenants', 'list', '--json'], { env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' } })
    expect(r.code).to.equal(69)
    expect(r.json.error.kind).to.equal('UNAVAILABLE')
    expect(r.json.error.actions.join(' ')).to.contain('erp doctor')
  })

  it('an unknown profile exits 1 with the list command as next step; doctor exits 1 when it cannot connect', async () => {
    const r = await runCli(['tenants', 'list', '--profile', 'nope', '--json'])
    expect(r.json.error.kind).to.equal('NOT_FOUND')
    const doctor = await runCli(['doctor', '--json'], { env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' } })
    expect(doctor.code).to.equal(1)
    expect(doctor.json.result.items.find((c: { check: string }) => c.check === 'connection').status).to.equal('fail')
  })

  it('doctor is clean on a healthy server', async () => {
    const r = await runCli(['doctor', '--json'])
    expect(r.json.result.items.filter((c: { status: string }) => c.status !== 'ok'), r.stdout).to.deep.equal([])
    expect(r.code).to.equal(0)
  })

  it('prints the exit codes in the root help, and examples in every command help', async () => {
    const root = await runCli(['--help'])
    expect(root.stdout).to.contain('EXIT CODES').and.contain('75  temporary failure')
    const help = await runCli(['tenants', 'create', '--help'])
    expect(help.stdout).to.contain('EXAMPLES').and.contain('$ erp tenants create acme')
  })

  it('prints nothing but the result on stdout under --json', async () => {
    const r = await runCli(['tenants', 'create', uniqueSlug('out'), '--json'], { env: { FORCE_COLOR: '1' } })
    expect(() => JSON.parse(r.stdout)).not.to.throw()
  })

  // stdout is not a terminal here, so colour comes only when FORCE_COLOR asks for it: the forced
  // run shows the check can see colour, the others that NO_COLOR and --no-color refuse it.
  it('colours a table when FORCE_COLOR asks, not when NO_COLOR or --no-color refuses', async () => {
    await runCli(['tenants', 'create', uniqueSlug('col')])
    const bold = /\u001B\[1m/
    expect((await runCli(['tenants', 'list'], { env: { FORCE_COLOR: '1', NO_COLOR: undefined } })).stdout).to.match(bold)
    expect((await runCli(['tenants', 'list'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout).not.to.match(/\u001B\[/)
    expect((await runCli(['tenants', 'list', '--no-color'], { env: { FORCE_COLOR: '1', NO_COLOR: undefined } })).stdout).not.to.match(/\u001B\[/)
  })

  describe('sql exec', () => {
    const a = uniqueSlug('sa')
    const b = uniqueSlug('sb')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-sql-'))
    before(async () => {
      for (const slug of [a, b]) expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
    })

    it('--dry-run runs the script in each tenant and rolls it back', async () => {
      const script = path.join(dir, 'add.sql')
      fs.writeFileSync(script, "insert into settings (key, value) values ('x', '1');")
      const dry = await runCli(['sql', 'exec', '-f', script, '--tenant', a, '--dry-run', '--json'])
      expect(dry.json.result.tenants[0]).to.include({ status: 'rolled back', rows: 1 })
      const real = await runCli(['sql', 'exec', '-f', script, '--tenant', a, '--json'])
      expect(real.json.result.tenants[0]).to.include({ status: 'ok', rows: 1 })
      const again = await runCli(['sql', 'exec', '-f', script, '--tenant', a, '--json'])
      expect(again.code).to.equal(1)
      expect(again.json.result.tenants[0].error).to.contain('duplicate key')
    })

    it('treats ? and $1 in the script as SQL, not as placeholders', async () => {
      const script = path.join(dir, 'json.sql')
      fs.writeFileSync(script, `select '{"a":1}'::jsonb ? 'a'; select 'a?b' where '$1' = '$1';`)
      const r = await runCli(['sql', 'exec', '-f', script, '--tenant', b, '--json'])
      expect(r.code, r.stdout).to.equal(0)
      expect(r.json.result.tenants[0].statements).to.equal(2)
    })

    it('refuses a script that would end the transaction itself, before it runs (65)', async () => {
      const script = path.join(dir, 'commit.sql')
      fs.writeFileSync(script, 'commit; select 1;')
      const r = await runCli(['sql', 'exec', '-f', script, '--tenant', b, '--json'])
      expect(r.code).to.equal(65)
      expect(r.json.error.message).to.contain('line 1: COMMIT controls the transaction')
    })
  })
})
