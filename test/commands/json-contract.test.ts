import { Writable } from 'node:stream'

import { expect } from 'chai'

import { okResult, runCli } from '../helpers/cli.js'
import { adminQuery, uniqueSlug } from '../helpers/database.js'
import { withIo, type Io } from '../../src/lib/io.js'
import { listOptionsFrom } from '../../src/lib/cli/list-flags.js'

/** --query (JMESPath over the --json result), the one list shape, and whole values off a terminal. */
describe('the --json contract: --query, list shape, truncation', () => {
  const slug = uniqueSlug('jq')
  const longName = `Acme ${'x'.repeat(150)} Ltd`

  before(async () => {
    okResult(await runCli(['tenants', 'create', slug, '--name', longName, '--json']))
    for (const path of ['Tools', 'Tools/Power', 'Garden']) okResult(await runCli(['categories', 'create', path, '--tenant', slug, '--json']))
  })

  it('--query picks from a list: stdout holds only the expression value, and --json is implied', async () => {
    const r = await runCli(['categories', 'list', '--tenant', slug, '--query', 'items[].path'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.json).to.deep.equal(['Garden', 'Tools', 'Tools/Power'])
    const filtered = await runCli(['categories', 'list', '--tenant', slug, '--json', '--query', "items[?starts_with(path, 'Tools')].{path: path}"])
    expect(filtered.json.map((c: { path: string }) => c.path)).to.deep.equal(['Tools', 'Tools/Power'])
    const scalar = await runCli(['categories', 'list', '--tenant', slug, '--query=length(items)'])
    expect(scalar.stdout.trim()).to.equal('3')
    const missing = await runCli(['tenants', 'show', slug, '--query', 'noSuchField'])
    expect(missing.stdout.trim()).to.equal('null')
  })

  it('refuses a malformed --query before the command runs (exit 2, nothing done)', async () => {
    const other = uniqueSlug('jqbad')
    const r = await runCli(['tenants', 'create', other, '--query', 'items[?'])
    expect(r.code).to.equal(2)
    expect(r.json.error).to.include({ kind: 'USAGE' })
    expect(r.json.error.message).to.contain('Invalid --query "items[?"')
    expect((await adminQuery('select 1 from erp.tenants where slug = $1', [other])).rows).to.deep.equal([])
  })

  it('an expression that fails on the result is a usage error with nothing on stdout', async () => {
    const r = await runCli(['categories', 'list', '--tenant', slug, '--query', 'abs(items)'])
    expect(r.code).to.equal(2)
    expect(r.stdout).to.equal('')
    expect(r.stderr).to.match(/^Error: --query abs\(items\) failed on the result/)
  })

  it('a failure keeps its envelope under --query, and the exit code', async () => {
    const r = await runCli(['tenants', 'show', uniqueSlug('none'), '--query', 'slug'])
    expect(r.code).to.equal(1)
    expect(r.json.status).to.equal(1)
    expect(r.json.error.kind).to.equal('NOT_FOUND')
  })

  it('lists that used to be bare arrays answer {items, nextCursor}', async () => {
    for (const args of [['categories', 'list'], ['warehouses', 'list'], ['stock', 'levels'], ['settings', 'list']]) {
      const result = okResult(await runCli([...args, '--tenant', slug, '--json']))
      expect(Object.keys(result).sort(), args.join(' ')).to.deep.equal(['items', 'nextCursor'])
      expect(result.nextCursor).to.equal(null)
      expect(result.items).to.be.an('array')
    }
  })

  it('piped output shows whole values; only a terminal gets cells cut to its width', async () => {
    const r = await runCli(['tenants', 'list', '--filter', `slug==${slug}`])
    expect(r.stdout).to.contain(longName)
    const sink = new Writable({ write: (_c, _e, done) => done() })
    const io = (isTTY: boolean): Io => ({ stdout: Object.assign(sink, { isTTY, columns: 80 }), stderr: sink, stdin: process.stdin, setExitCode: () => {} })
    expect(withIo(io(true), () => listOptionsFrom({}, false).truncate)).to.equal(true)
    expect(withIo(io(false), () => listOptionsFrom({}, false).truncate)).to.equal(false)
    expect(withIo(io(true), () => listOptionsFrom({ 'no-truncate': true }, false).truncate)).to.equal(false)
  })
})
