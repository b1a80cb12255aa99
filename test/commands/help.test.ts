import { expect } from 'chai'

import { runCli, runProcess } from '../helpers/cli.js'
import { loadManifest } from '../helpers/command-line.js'
import { uniqueSlug } from '../helpers/database.js'

describe('help, typos and global flags', () => {
  it('erp help <command> shows the command help, with ids spelt with spaces', async () => {
    const r = await runCli(['help', 'tenants', 'create'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('$ erp tenants create SLUG').and.contain('EXAMPLES')
    expect((await runCli(['help'])).stdout).to.contain('EXIT CODES')
  })

  it('a typo is a usage error (2) naming the line with spaces and the closest command', async () => {
    const r = await runCli(['tenant', 'list'])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.contain('Unknown command "erp tenant list".').and.contain('Did you mean: erp tenants list')
    expect(r.stderr).not.to.match(/tenants?:list/)
    const help = await runCli(['help', 'tenats', 'shw'])
    expect(help.code).to.equal(2)
    expect(help.stderr).to.contain('Did you mean: erp help tenants show')
  })

  it('a typo under --json is the usage envelope, suggestions in data', async () => {
    const r = await runCli(['stok', 'levles', '--json'])
    expect(r.code).to.equal(2)
    expect(r.json).to.deep.include({ status: 2 })
    expect(r.json.error.kind).to.equal('USAGE')
    expect(r.json.error.data.suggestions).to.deep.equal(['erp stock levels'])
  })

  it('the real executable exits 2 on a typo, and prints no colon id', async () => {
    const r = await runProcess(['tenant', 'list'], { env: { NO_COLOR: '1' } })
    expect(r.code).to.equal(2)
    expect(r.stderr).to.contain('Did you mean: erp tenants list').and.not.contain('tenant:list')
  })

  it("a topic's help lists the commands of its sub-topics", async () => {
    const stock = await runCli(['stock', '--help'])
    expect(stock.stdout).to.match(/COMMANDS[\s\S]*stock reorder set/).and.match(/stock reorder remove/)
    const customers = await runCli(['help', 'customers'])
    expect(customers.stdout).to.match(/COMMANDS[\s\S]*customers address add/).and.match(/customers address default/)
  })

  it('takes global flags before the command id, through the real bin/run.js', async () => {
    const slug = uniqueSlug('gf')
    expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
    const shown = await runProcess(['--json', 'tenants', 'show', slug])
    expect(shown.code, shown.stderr).to.equal(0)
    expect(shown.json.result.slug).to.equal(slug)
    // --profile reaches the command: it is the command that refuses an unknown profile.
    const profile = await runProcess(['--profile', 'nope', '--json', 'tenants', 'show', slug])
    expect(profile.json?.error?.kind, profile.stdout + profile.stderr).to.equal('NOT_FOUND')
    expect(profile.json.error.message).to.contain('nope')
  })

  it('every erp command takes the flags bin/run.js moves (--profile, --no-color, --json)', () => {
    const manifest = loadManifest()
    const lacking = Object.values(manifest)
      .filter((c) => !['profile', 'no-color', 'json'].every((f) => c.flags[f]))
      .map((c) => c.id)
    expect(lacking).to.deep.equal([])
  })
})
