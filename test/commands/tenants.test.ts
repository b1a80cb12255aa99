import { expect } from 'chai'

import { runCli } from '../helpers/cli.js'
import { uniqueSlug } from '../helpers/database.js'

describe('erp tenants (through bin/run.js)', () => {
  it('creates a tenant and lists it, as table and as --json', async () => {
    const slug = uniqueSlug('acme')
    const created = await runCli(['tenants', 'create', slug, '--name', 'Acme Ltd', '--json'])
    expect(created.code, created.stderr).to.equal(0)
    expect(created.json.status).to.equal(0)
    expect(created.json.result).to.include({ slug, name: 'Acme Ltd', schema: `tenant_${slug}`, status: 'active' })

    const table = await runCli(['tenants', 'list'])
    expect(table.code).to.equal(0)
    expect(table.stdout).to.match(new RegExp(`^${slug}\\s+Acme Ltd\\s+active`, 'm'))

    const listed = await runCli(['tenants', 'list', '--json'])
    expect(listed.json.result.map((t: { slug: string }) => t.slug)).to.include(slug)
  })
})
