import { expect } from 'chai'

import { okResult, runCli, runProcess } from '../../helpers/cli.js'
import { uniqueSlug } from '../../helpers/database.js'

/**
 * runCli runs commands inside the test process (test/helpers/cli.ts): what a run prints, its exit
 * code and its environment must be exactly that run's, and the same as a real process gives.
 */
describe('runCli, in-process', function () {
  const slug = uniqueSlug('inproc')

  before(async () => {
    okResult(await runCli(['tenants', 'create', slug, '--json']))
  })

  it('captures a success: the result on stdout, nothing on stderr, exit 0', async () => {
    const r = await runCli(['tenants', 'show', slug])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.signal).to.equal(null)
    expect(r.stdout).to.contain(slug).and.contain(`tenant_${slug}`)
    expect(r.stderr).to.equal('')
    expect(r.json).to.equal(undefined)
  })

  it('captures a usage error on stderr with exit 2, as the real process does', async () => {
    const inProcess = await runCli(['tenants', 'create'])
    const spawned = await runProcess(['tenants', 'create'])
    expect(inProcess.code).to.equal(2)
    expect(inProcess.stdout).to.equal('')
    expect(inProcess.stderr).to.match(/^Error: Missing 1 required arg/)
    expect({ code: inProcess.code, stdout: inProcess.stdout, stderr: inProcess.stderr })
      .to.deep.equal({ code: spawned.code, stdout: spawned.stdout, stderr: spawned.stderr })
  })

  it("gives an ErpError's own exit code, and its --json failure envelope on stdout only", async () => {
    const human = await runCli(['sql', 'exec', '--file', '/nonexistent/script.sql', '--tenant', slug])
    expect(human.code).to.equal(66)
    expect(human.stdout).to.equal('')
    expect(human.stderr).to.match(/^Error: .*\/nonexistent\/script\.sql/)

    const json = await runCli(['sql', 'exec', '--file', '/nonexistent/script.sql', '--tenant', slug, '--json'])
    expect(json.code).to.equal(66)
    expect(json.stderr).to.equal('')
    expect(json.json).to.deep.include({ status: 66, warnings: [] })
    expect(json.json.error).to.include({ kind: 'FILE_NOT_FOUND' })
  })

  it('reports an unknown command as the real process does, with its exit code', async () => {
    const inProcess = await runCli(['no-such-command'])
    const spawned = await runProcess(['no-such-command'])
    expect(inProcess.code).to.equal(spawned.code).and.to.equal(2)
    expect(inProcess.stderr).to.contain('Unknown command "erp no-such-command"')
    expect(spawned.stderr).to.contain('Unknown command "erp no-such-command"')
  })

  it("leaves the test process's exit code alone", async () => {
    const before = process.exitCode
    expect((await runCli(['tenants', 'create'])).code).to.equal(2)
    expect(process.exitCode).to.equal(before)
  })

  it('applies env for the run only, removes keys set to undefined, and puts back what the run changed', async () => {
    const saved = { ERP_CONTENT_TYPE: process.env.ERP_CONTENT_TYPE, FORCE_COLOR: process.env.FORCE_COLOR }
    try {
      process.env.ERP_CONTENT_TYPE = 'json'
      delete process.env.FORCE_COLOR
      // ERP_TENANT is the --tenant flag's default: the run acts on that tenant.
      const shown = await runCli(['settings', 'list'], { env: { ERP_TENANT: slug } })
      expect(shown.code, shown.stdout + shown.stderr).to.equal(0)
      expect(shown.json?.status).to.equal(0)
      expect(process.env.ERP_TENANT).to.equal(undefined)

      // Removed for the run: the usage error is text, not the envelope ERP_CONTENT_TYPE=json gives.
      const text = await runCli(['tenants', 'create', '--no-color'], { env: { ERP_CONTENT_TYPE: undefined } })
      expect(text.code).to.equal(2)
      expect(text.json).to.equal(undefined)
      expect(text.stderr).to.match(/^Error: /)
      expect(process.env.ERP_CONTENT_TYPE).to.equal('json')
      // --no-color made the init hook set FORCE_COLOR=0 for chalk: that was the run's, not ours.
      expect(process.env.FORCE_COLOR).to.equal(undefined)
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
  })

  it('keeps the env of runs started together apart: each acts on its own tenant', async () => {
    const other = uniqueSlug('inproc_b')
    okResult(await runCli(['tenants', 'create', other, '--json']))
    const [a, b] = await Promise.all([
      runCli(['categories', 'create', 'Only-In-A', '--json'], { env: { ERP_TENANT: slug } }),
      runCli(['categories', 'create', 'Only-In-B', '--json'], { env: { ERP_TENANT: other } }),
    ])
    okResult(a)
    okResult(b)
    const names = async (tenant: string) =>
      okResult(await runCli(['categories', 'list', '--tenant', tenant, '--json'])).items.map((c: { name: string }) => c.name)
    expect(await names(slug)).to.deep.equal(['Only-In-A'])
    expect(await names(other)).to.deep.equal(['Only-In-B'])
  })

  it('feeds input to stdin', async () => {
    const r = await runCli(['import', 'products', '-', '--tenant', slug, '--json'], { input: 'sku,name\nIN-1,Piped one\nIN-2,Piped two\n' })
    expect(okResult(r)).to.include({ file: 'stdin', inserted: 2 })
    const listed = okResult(await runCli(['products', 'list', '--tenant', slug, '--json']))
    expect(listed.items.map((p: { sku: string }) => p.sku)).to.deep.equal(['IN-1', 'IN-2'])
  })

  it('captures help, and a command still runs after it (oclif rewrites ids while it formats)', async () => {
    const topic = await runCli(['tenants', '--help'])
    expect(topic.code).to.equal(0)
    expect(topic.stdout).to.contain('tenants create')
    const root = await runCli(['--help'])
    expect(root.stdout).to.contain('EXIT CODES')
    const after = await runCli(['tenants', 'show', slug, '--json'])
    expect(okResult(after)).to.include({ slug })
  })
})
