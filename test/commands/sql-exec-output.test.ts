import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { expect } from 'chai'

import { okResult, runCli, runProcess } from '../helpers/cli.js'
import { uniqueSlug } from '../helpers/database.js'

/** erp sql exec prints what a SELECT returns: per tenant and statement, as a table, CSV or JSON. */
describe('erp sql exec: rows of SELECT statements', () => {
  const a = uniqueSlug('sqa')
  const b = uniqueSlug('sqb')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-sql-out-'))
  const script = (name: string, sql: string) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, sql)
    return file
  }

  before(async () => {
    for (const slug of [a, b]) okResult(await runCli(['tenants', 'create', slug, '--json']))
  })

  it('prints each SELECT of each tenant as a table under a heading, then the summary; DML without RETURNING prints no rows', async () => {
    const file = script('select.sql', [
      "insert into settings (key, value) values ('sql.test', '1')",
      "select key, value from settings where key = 'sql.test'",
      "select current_schema() as schema, 'x' || repeat('y', 150) as long",
    ].join(';\n'))
    const r = await runCli(['sql', 'exec', '-f', file, '--all-tenants', '--dry-run'])
    expect(r.code, r.stderr).to.equal(0)
    for (const slug of [a, b]) {
      expect(r.stdout).to.contain(`${slug}, statement 2 (line 2): SELECT 1 row`)
      expect(r.stdout).to.contain(`${slug}, statement 3 (line 3): SELECT 1 row`)
      expect(r.stdout).to.match(new RegExp(`^tenant_${slug}\\s+xy{150}$`, 'm'))
    }
    expect(r.stdout).to.match(/^sql\.test\s+1$/m)
    expect(r.stdout).not.to.contain('statement 1 ')
    // The summary table follows the rows.
    expect(r.stdout.lastIndexOf(`${a}, statement`)).to.be.lessThan(r.stdout.search(/^tenant\s+status/m))
  })

  it('gives the rows in --json (columns, rows as arrays, rowCount) and --query picks from them', async () => {
    const file = script('two.sql', 'select 1 as n, 1 as n, null::text as empty, now()::date as day, \'\\x0102\'::bytea as raw')
    const result = okResult(await runCli(['sql', 'exec', '-f', file, '--tenant', a, '--json']))
    const [set] = result.tenants[0].results
    expect(set).to.deep.include({ statement: 1, line: 1, command: 'SELECT', columns: ['n', 'n', 'empty', 'day', 'raw'], rowCount: 1, truncated: false })
    expect(set.rows[0].slice(0, 3)).to.deep.equal([1, 1, null])
    expect(set.rows[0][4]).to.equal('\\x0102')
    const picked = await runCli(['sql', 'exec', '-f', file, '--tenant', a, '--query', 'tenants[0].results[0].rows[0][0:2]'])
    expect(picked.code, picked.stderr).to.equal(0)
    expect(JSON.parse(picked.stdout)).to.deep.equal([1, 1])
  })

  it('keeps the first --row-limit rows of a statement, and says so', async () => {
    const file = script('many.sql', 'select g from generate_series(1, 250) g')
    const json = await runCli(['sql', 'exec', '-f', file, '--tenant', a, '--row-limit', '3', '--json'])
    const [set] = okResult(json).tenants[0].results
    expect(set).to.deep.include({ rowCount: 250, truncated: true, rows: [[1], [2], [3]] })
    expect(json.json.warnings.join(' ')).to.contain('250 rows, only the first 3 kept; raise --row-limit')
    const table = await runCli(['sql', 'exec', '-f', file, '--tenant', a])
    expect(table.stdout).to.contain('SELECT 250 rows, the first 100 shown')
    expect(table.stdout).to.match(/^100$/m).and.not.to.match(/^101$/m)
    expect(table.stderr).to.contain('raise --row-limit')
  })

  it('counts the rows past the limit without keeping them: 300 MB of rows go through a process with a 100 MB heap', async function () {
    this.timeout(120_000)
    const file = script('big.sql', "select g, repeat('x', 1000) as filler from generate_series(1, 300000) g")
    const r = await runProcess(['sql', 'exec', '-f', file, '--tenant', a, '--row-limit', '2', '--json'], { env: { NODE_OPTIONS: '--max-old-space-size=100' }, timeoutMs: 110_000 })
    expect(r.code, r.stderr.slice(-500)).to.equal(0)
    const [set] = okResult(r).tenants[0].results
    expect(set).to.deep.include({ rowCount: 300000, truncated: true })
    expect(set.rows.map((row: unknown[]) => row[0])).to.deep.equal([1, 2])
  })

  it('--output csv: only the rows on stdout, the headings and the summary on stderr', async () => {
    const file = script('csv.sql', "select 'a,b' as text, true as yes, 3 as n")
    const r = await runCli(['sql', 'exec', '-f', file, '--all-tenants', '--output', 'csv'])
    expect(r.code, r.stderr).to.equal(0)
    const blocks = r.stdout.trim().split('\n\n')
    expect(blocks.length).to.be.greaterThanOrEqual(2)
    expect(blocks[0].split('\n')).to.deep.equal(['text,yes,n', '"a,b",true,3'])
    expect(r.stderr).to.contain(`${a}, statement 1 (line 1): SELECT 1 row`).and.to.match(/tenant\s+status/)
  })

  it('shows hostile cells and column names with their control characters made visible, never raw', async () => {
    const file = script('hostile.sql', `select E'\\x1b]0;owned\\x07 \\x1b[2J' as "evil\x1bname", E'\\u202eabc' as bidi`)
    const r = await runCli(['sql', 'exec', '-f', file, '--tenant', b])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).not.to.match(/[\u001B\u0007\u202E]/)
    expect(r.stdout).to.contain('\\x1b]0;owned\\x07 \\x1b[2J').and.to.contain('evil\\x1bname').and.to.contain('\\u202eabc')
    const json = await runCli(['sql', 'exec', '-f', file, '--tenant', b, '--json'])
    expect(json.stdout).not.to.match(/[\u001B\u0007\u202E]/)
    expect(okResult(json).tenants[0].results[0].rows[0][0]).to.equal('\u001B]0;owned\u0007 \u001B[2J')
  })

  it('still confines a SELECT to its own tenant', async () => {
    const file = script('other.sql', `select count(*) from tenant_${a}.settings`)
    const r = await runCli(['sql', 'exec', '-f', file, '--tenant', b, '--json'])
    expect(r.code).to.equal(1)
    expect(r.json.result.tenants[0]).to.include({ status: 'failed' })
    expect(r.json.result.tenants[0].error).to.match(/permission denied/)
    expect(r.json.result.tenants[0].results).to.deep.equal([])
  })
})
