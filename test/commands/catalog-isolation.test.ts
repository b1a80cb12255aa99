import { expect } from 'chai'
import pg from 'pg'

import { runCli, type CliResult } from '../helpers/cli.js'
import { uniqueSlug } from '../helpers/database.js'
import { SqlState } from '../../src/lib/db/sqlstate.js'

function ok(run: CliResult): any {
  expect(run.code, run.stdout + run.stderr).to.equal(0)
  return run.json.result
}

describe('a tenant profile sees only its own catalog', () => {
  let mine: { slug: string; schema: string }
  let theirs: { slug: string; schema: string }

  before(async () => {
    mine = ok(await runCli(['tenants', 'create', uniqueSlug('own'), '--json']))
    theirs = ok(await runCli(['tenants', 'create', uniqueSlug('other'), '--json']))
    ok(await runCli(['products', 'create', 'MINE-1', '--name', 'Mine', '--tenant', mine.slug, '--json']))
    ok(await runCli(['products', 'create', 'THEIRS-1', '--name', 'Theirs', '--tenant', theirs.slug, '--json']))
    ok(await runCli(['customers', 'create', 'THEIR-CUSTOMER', '--name', 'Theirs', '--tenant', theirs.slug, '--json']))
  })

  it("is refused by PostgreSQL (42501) when its login role reads another tenant's tables", async () => {
    const login = ok(await runCli(['tenants', 'credentials', mine.slug, '--json']))
    const url = new URL(process.env.DATABASE_URL!)
    const client = new pg.Client({
      host: url.hostname, port: Number(url.port), database: url.pathname.slice(1), user: login.role, password: login.password,
    })
    await client.connect()
    try {
      const own = await client.query(`select sku from "${mine.schema}".products`)
      expect(own.rows.map((r) => r.sku)).to.deep.equal(['MINE-1'])
      for (const table of ['products', 'customers', 'users', 'categories']) {
        const error = await client.query(`select * from "${theirs.schema}".${table}`).then(() => undefined, (e: unknown) => e)
        expect((error as { code?: string })?.code, table).to.equal(SqlState.INSUFFICIENT_PRIVILEGE)
      }
      const write = await client
        .query(`insert into "${theirs.schema}".products (sku, name) values ('SNEAK', 'x')`)
        .then(() => undefined, (e: unknown) => e)
      expect((write as { code?: string })?.code).to.equal(SqlState.INSUFFICIENT_PRIVILEGE)
    } finally {
      await client.end()
    }
  })

  it('works on its own tenant and exits 77 on the other one', async () => {
    const profile = `p_${mine.slug}`
    ok(await runCli(['tenants', 'credentials', mine.slug, '--save-profile', profile, '--json']))

    const own = ok(await runCli(['products', 'list', '--profile', profile, '--json']))
    expect(own.items.map((p: any) => p.sku)).to.deep.equal(['MINE-1'])
    ok(await runCli(['products', 'create', 'MINE-2', '--name', 'Mine too', '--profile', profile, '--json']))

    for (const args of [
      ['products', 'list'],
      ['products', 'show', 'THEIRS-1'],
      ['products', 'create', 'SNEAK', '--name', 'x'],
      ['customers', 'list'],
      ['categories', 'list'],
      ['users', 'list'],
    ]) {
      const run = await runCli([...args, '--profile', profile, '--tenant', theirs.slug, '--json'])
      expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).to.equal(77)
      expect(run.json.error.kind).to.equal('NOT_ALLOWED')
    }
    const theirProducts = ok(await runCli(['products', 'list', '--tenant', theirs.slug, '--json']))
    expect(theirProducts.items.map((p: any) => p.sku)).to.deep.equal(['THEIRS-1'])
  })
})
