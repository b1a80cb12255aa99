import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'

import { runCli } from '../helpers/cli.js'
import { scratchFiles } from '../helpers/scratch-files.js'
import { uniqueSlug } from '../helpers/database.js'

const { dir, file } = scratchFiles('erp-import-users-')

async function users(slug: string) {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  try {
    const { rows } = await client.query(`select email, name, role, password_hash is null as no_password, disabled_at is not null as disabled
      from tenant_${slug}.users order by lower(email)`)
    return rows
  } finally {
    await client.end()
  }
}

const imp = (slug: string, ...args: string[]) => runCli(['import', 'users', ...args, '--tenant', slug, '--json'])

describe('erp import users / erp export users', () => {
  it('imports users without passwords, matches emails case-insensitively, refuses bad rows, round-trips', async () => {
    const slug = uniqueSlug('impu')
    expect((await runCli(['tenants', 'create', slug])).code).to.equal(0)
    const bad = await imp(slug, file('email,name,role\nann@example.com,Ann,admin\nnot-mail,Bob,clerk\nANN@example.com,Ann again,viewer\ncy@example.com,Cy,boss\n'))
    expect(bad.code).to.equal(65)
    const byLine = Object.fromEntries(bad.json.error.data.errors.map((e: { line: number; column: string }) => [e.line, e.column]))
    expect(byLine).to.deep.equal({ 3: 'email', 4: 'email', 5: 'role' })
    expect(await users(slug)).to.deep.equal([])
    const password = await imp(slug, file('email,name,role,password\nann@example.com,Ann,admin,secret\n'))
    expect(password.json.error.message).to.match(/unknown column "password"/)

    const ok = await imp(slug, file('email,name,role,disabled\nann@example.com,Ann,admin,\nbob@example.com,Bob,Clerk,yes\n'))
    expect(ok.code, ok.stdout).to.equal(0)
    expect(await users(slug)).to.deep.equal([
      { email: 'ann@example.com', name: 'Ann', role: 'admin', no_password: true, disabled: false },
      { email: 'bob@example.com', name: 'Bob', role: 'clerk', no_password: true, disabled: true },
    ])
    const update = await imp(slug, file('email,role\nANN@EXAMPLE.COM,manager\n'), '--mode', 'update')
    expect(update.json.result).to.include({ updated: 1 })
    const before = await users(slug)
    const out = path.join(dir, 'users.csv')
    expect((await runCli(['export', 'users', '--tenant', slug, '--output', out])).code).to.equal(0)
    expect(readFileSync(out, 'utf8')).to.not.match(/password|scrypt/)
    expect(readFileSync(out, 'utf8').trim().split('\n').map((line) => line.split(',').at(-1))).to.deep.equal(['disabled', 'false', 'true'])
    const back = await imp(slug, out, '--mode', 'upsert')
    expect(back.json.result).to.include({ inserted: 0, updated: 0, unchanged: 2 })
    expect(await users(slug)).to.deep.equal(before)
  })
})
