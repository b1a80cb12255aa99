import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { expect } from 'chai'

import { createTenant } from '../../src/lib/tenants/provision.js'
import { runCli } from '../helpers/cli.js'
import { adminQuery as query, openTestDb, uniqueSlug } from '../helpers/database.js'

/**
 * The escape corpus of issue 13: scripts that tried to leave their tenant through `erp sql exec`
 * as an admin. Each is refused before it runs (65) or confined by PostgreSQL (the tenant fails,
 * 1); afterwards the other tenant, the registry, the audit log, the server's roles and the file
 * system are as they were.
 */
describe('erp sql exec: a script cannot leave its tenant', function () {
  this.timeout(300_000)
  const a = uniqueSlug('esc_a')
  const b = uniqueSlug('esc_b')
  const tag = randomBytes(4).toString('hex')
  const pwned = path.join(os.tmpdir(), `erp-pwned-${tag}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-escape-'))
  const intoB = `insert into tenant_${b}.settings (key, value) values (''pwn.${tag}'', ''1'')`

  before(async () => {
    const db = await openTestDb()
    try {
      await createTenant(db, { slug: a })
      await createTenant(db, { slug: b })
    } finally {
      await db.close()
    }
    await query(`insert into tenant_${b}.settings (key, value) values ('kept', '"b"')`)
  })
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  /** What must not change, in one comparable value. */
  async function world(): Promise<Record<string, unknown>> {
    const rows = async (sql: string) => (await query(sql)).rows
    return {
      tenantB: await rows(`select key, value::text from tenant_${b}.settings order by key`),
      tablesB: await rows(`select tablename from pg_tables where schemaname = 'tenant_${b}' order by 1`),
      registry: await rows('select slug, schema_name, owner_role, login_role, status from erp.tenants order by slug'),
      audit: await rows('select id, command, outcome, exit_code, tenant, error from erp.audit_log order by id'),
      // Other tests (other files, other runs) share the server and make roles of their own, some with
      // CREATEROLE: what counts is who is a superuser, this test's roles' powers, and the role it tries to plant.
      powerful: await rows(`select rolname from pg_roles
                             where rolsuper
                                or ((rolcreaterole or rolcreatedb or rolbypassrls or rolreplication) and (rolname like '%${a}%' or rolname like '%${b}%'))
                                or rolname = 'evil_${tag}' order by 1`),
      members: await rows(`select roleid::regrole::text as role, member::regrole::text as member from pg_auth_members m
                            where roleid in (select oid from pg_roles where rolsuper or rolname like 'pg\\_%' or rolname like '%${a}%' or rolname like '%${b}%')
                            order by 1, 2`),
      pwned: fs.existsSync(pwned),
    }
  }

  /** The same payload, straight and hidden from erp's own check inside DO … EXECUTE. */
  const viaDo = (sql: string) => `do $x$ begin execute '${sql.replaceAll("'", "''")}'; end $x$;`
  const cases: Array<{ name: string; sql: string; code: number }> = [
    { name: 'reset role, then write into another tenant', sql: `reset role; ${intoB.replaceAll("''", "'")};`, code: 65 },
    { name: 'set role postgres', sql: `set role postgres; ${intoB.replaceAll("''", "'")};`, code: 65 },
    { name: 'set session authorization', sql: 'set session authorization postgres; select 1;', code: 65 },
    { name: 'commit, then reset role and write', sql: `commit; reset role; ${intoB.replaceAll("''", "'")};`, code: 65 },
    { name: 'begin a transaction of its own', sql: 'begin; select 1;', code: 65 },
    { name: 'rollback hidden after a quoted semicolon', sql: "select 'a;b'; rollback;", code: 65 },
    { name: 'DO: reset role, then write into another tenant', sql: `do $$ begin execute 'reset role'; execute '${intoB}'; end $$;`, code: 1 },
    { name: 'DO: set role postgres', sql: viaDo('set role postgres'), code: 1 },
    { name: 'DO: set session authorization', sql: viaDo('set session authorization postgres'), code: 1 },
    { name: 'DO: commit', sql: 'do $$ begin commit; end $$;', code: 1 },
    { name: 'DO: create a superuser role', sql: viaDo(`create role evil_${tag} login superuser password 'x'`), code: 1 },
    { name: 'DO: read a server file', sql: viaDo("perform pg_read_file('/etc/hostname')").replace("execute 'perform", "execute 'select"), code: 1 },
    { name: 'DO: run a program as the server', sql: viaDo(`copy (select 1) to program 'id > ${pwned}'`), code: 1 },
    { name: 'DO: rewrite the audit log', sql: viaDo("update erp.audit_log set command = 'nothing'"), code: 1 },
    { name: 'DO: write into the registry', sql: viaDo(`update erp.tenants set status = 'suspended' where slug = '${b}'`), code: 1 },
    { name: 'DO: write into another tenant directly', sql: viaDo(intoB.replaceAll("''", "'")), code: 1 },
  ]

  for (const c of cases) {
    it(`${c.name}: ${c.code === 65 ? 'refused before it runs' : 'confined by PostgreSQL'}, nothing changed`, async () => {
      const before = await world()
      const file = path.join(dir, `${c.name.replace(/\W+/g, '_')}.sql`)
      fs.writeFileSync(file, c.sql)
      const r = await runCli(['sql', 'exec', '--tenant', a, '--file', file, '--json'])
      expect(r.code, r.stdout + r.stderr).to.equal(c.code)
      if (c.code === 1) expect(r.json.result.tenants[0]).to.include({ tenant: a, status: 'failed' })
      const after = await world()
      // The command's own audit record is the one row allowed to appear.
      expect((after.audit as unknown[]).slice(0, (before.audit as unknown[]).length)).to.deep.equal(before.audit)
      expect({ ...after, audit: undefined }).to.deep.equal({ ...before, audit: undefined })
    })
  }

  it('a script within its rights still works, in its own tenant, as its owner', async () => {
    const file = path.join(dir, 'fine.sql')
    fs.writeFileSync(file, "create table notes (id int); insert into notes values (1), (2); select session_user, current_user;")
    const r = await runCli(['sql', 'exec', '--tenant', a, '--file', file, '--json'])
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.json.result.tenants[0]).to.include({ status: 'ok', statements: 3, rows: 3 })
    const { rows } = await query(`select tableowner from pg_tables where schemaname = 'tenant_${a}' and tablename = 'notes'`)
    const owner = (await query('select owner_role from erp.tenants where slug = $1', [a])).rows[0].owner_role
    expect(rows[0].tableowner).to.equal(owner)
  })

  it('names the refused statements with their lines, and runs none of the script', async () => {
    const file = path.join(dir, 'lines.sql')
    fs.writeFileSync(file, `create table never_made (id int);\n-- a comment; with a semicolon\nselect 1;\ncommit;\nreset role;\n`)
    const r = await runCli(['sql', 'exec', '--tenant', a, '--file', file, '--json'])
    expect(r.code).to.equal(65)
    expect(r.json.error.message).to.match(/line 4: COMMIT controls the transaction; line 5: RESET ROLE changes who the session is/)
    expect((await query(`select to_regclass('tenant_${a}.never_made') as t`)).rows[0].t).to.equal(null)
  })
})
