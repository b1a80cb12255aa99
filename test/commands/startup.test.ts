import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { expect } from 'chai'

import { okResult, runProcess } from '../helpers/cli.js'
import { openTestDb, uniqueSlug } from '../helpers/database.js'
import { createTenant } from '../../src/lib/tenants/provision.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const PRELOAD = pathToFileURL(path.join(ROOT, 'test', 'helpers', 'loaded-modules.mjs')).href
const READS = pathToFileURL(path.join(ROOT, 'test', 'helpers', 'read-files.mjs')).href

/**
 * What a real command loads before it answers (issue 15): bin/run.js runs the bundle
 * (scripts/bundle.js), so `tenants show --json` loads erp's chunks and nothing of node_modules,
 * no migration file (the registry check needs their names only) and no renderer. Figures are the
 * benchmark's (npm run bench -- tenants --startup); this checks what was loaded, never a time.
 */
describe('start-up of a real command', () => {
  let slug: string
  let dir: string
  before(async () => {
    slug = uniqueSlug('boot')
    const db = await openTestDb()
    try {
      await createTenant(db, { slug })
    } finally {
      await db.close()
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'erp-startup-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  async function loadedBy(args: string[], env: Record<string, string> = {}) {
    const list = path.join(dir, `${uniqueSlug('m')}.txt`)
    const r = await runProcess(args, { env: { ...env, NODE_OPTIONS: `--import=${PRELOAD}`, ERP_LOADED_MODULES: list } })
    const files = readFileSync(list, 'utf8').split('\n').filter(Boolean).map((url) => path.relative(ROOT, fileURLToPath(url)))
    return { r, files }
  }

  it('tenants show --json loads bundle chunks only: nothing of node_modules, no migration file, no renderer', async () => {
    const { r, files } = await loadedBy(['tenants', 'show', slug, '--json'])
    expect(okResult(r).slug).to.equal(slug)
    const erp = files.filter((f) => !f.startsWith('test/'))
    expect(erp.filter((f) => !f.startsWith('dist/bundle/') && f !== 'bin/run.js'), erp.join('\n')).to.deep.equal([])
    const sources = erp.filter((f) => f.startsWith('dist/bundle/')).flatMap((f) => sourcesOf(f))
    expect(sources.some((s) => s.includes('src/commands/tenants/show.ts')), 'the command itself').to.equal(true)
    expect(sources.filter((s) => /src\/commands\//.test(s) && !s.includes('src/commands/tenants/show.ts')), 'other commands').to.deep.equal([])
    expect(sources.filter((s) => /src\/lib\/cli\/render\.ts|node_modules\/(cli-table3|csv-stringify)\//.test(s)), 'the renderer').to.deep.equal([])
  })

  async function filesReadBy(args: string[]) {
    const list = path.join(dir, `${uniqueSlug('r')}.txt`)
    const r = await runProcess(args, { env: { NODE_OPTIONS: `--import=${READS}`, ERP_READ_FILES: list } })
    const plugins = readFileSync(list, 'utf8').split('\n').filter((f) => /node_modules[/\\]@oclif[/\\]plugin-/.test(f))
    return { r, plugins }
  }

  it("an erp command run as such reads no plugin's package.json or manifest; help and plugin commands still load them", async () => {
    const show = await filesReadBy(['--json', 'tenants', 'show', slug])
    expect(okResult(show.r).slug).to.equal(slug)
    expect(show.plugins).to.deep.equal([])

    // Help of any kind, and the plugins' own commands, are not erp commands run as such.
    for (const args of [['tenants', 'show', '--help'], ['help', 'tenants', 'show'], ['--help'], ['autocomplete', 'bash']]) {
      const { r, plugins } = await filesReadBy(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0)
      expect(plugins, args.join(' ')).to.not.deep.equal([])
    }
    const root = await runProcess(['--help'])
    expect(root.stdout).to.match(/^ {2}autocomplete /m)
    // A typo is no erp command either: the not-found answer is unchanged.
    const typo = await filesReadBy(['tenant', 'show', slug])
    expect(typo.r.code).to.equal(2)
    expect(typo.r.stderr).to.include('tenants show')
  })

  it('renders a table without --json, and runs the same over dist/src without the bundle (ERP_NO_BUNDLE=1)', async () => {
    const bundled = await runProcess(['tenants', 'show', slug])
    expect(bundled.code, bundled.stderr).to.equal(0)
    expect(bundled.stdout).to.match(new RegExp(`^slug: +${slug}$`, 'm'))
    const { r, files } = await loadedBy(['tenants', 'show', slug], { ERP_NO_BUNDLE: '1' })
    expect(r.stdout).to.equal(bundled.stdout)
    expect(files.some((f) => f.startsWith('dist/bundle/'))).to.equal(false)
    expect(files).to.include(path.join('dist', 'src', 'commands', 'tenants', 'show.js'))
  })
})

/** The source files a bundle chunk was built from (its source map). */
function sourcesOf(file: string): string[] {
  const map = JSON.parse(readFileSync(path.join(ROOT, `${file}.map`), 'utf8')) as { sources: string[] }
  return map.sources.map((s) => path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), s)))
}
