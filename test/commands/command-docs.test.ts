import { expect } from 'chai'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { Config, Flags, Parser, type Command } from '@oclif/core'

import { globalFlagsAfterCommand } from '../../src/lib/cli/global-flags.js'
import { runCli, type CliResult } from '../helpers/cli.js'
import { commandLineProblem, loadManifest, type Manifest } from '../helpers/command-line.js'
import { uniqueSlug } from '../helpers/database.js'
import { documentedLines, helpExamples, type Example } from '../helpers/examples.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

type DocumentedManifest = Manifest & Record<string, { summary?: string; description?: string; examples?: (string | { command: string })[]; audited?: boolean }>

/** The command an argv names (the longest run of words that is an id) and the words after it. */
function commandOf(manifest: Manifest, argv: string[]): { id: string; rest: string[] } | null {
  const words = globalFlagsAfterCommand(argv)
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':')
    if (manifest[id]) return { id, rest: words.slice(n) }
  }
  return null
}

/** A command of one of erp's oclif plugins (help, autocomplete) that the words name, and the words after it. */
function pluginCommandOf(config: Config, words: string[]): { id: string; rest: string[] } | null {
  for (let n = words.length; n > 0; n--) {
    const command = config.findCommand(words.slice(0, n).join(':'))
    if (command) return command.pluginName === config.name ? null : { id: command.id, rest: words.slice(n) }
  }
  return null
}

/**
 * Commands whose examples change nothing, in the database or outside it: the ones a fresh tenant
 * can run as printed. Not audited (no tenant or registry change), and none of these, which write
 * files, profiles or a server's state.
 */
const SIDE_EFFECTS = new Set([
  'auth:login', 'auth:logout', 'auth:use', 'auth:s3:set', 'auth:s3:remove', 'server:start', 'server:stop', 'migrate:make', 'migrate:lint',
  'backup:key:export', 'backup:key:import', 'backup:key:show', 'backup:decrypt-key:import', 'backup:decrypt-key:remove', 'backup:prune', 'invoices:render', 'tenants:credentials',
  // Needs a Citus coordinator (docs/citus.md), not a fresh tenant.
  'tenants:placement',
])
const writesAFile = (argv: string[]) => argv.some((w) => ['--output', '-o', '--out', '--to-file'].includes(w)) && !argv.some((w) => ['csv', 'json', 'table'].includes(w))

describe('every command documents itself, and the documented command lines run as printed', () => {
  let manifest: DocumentedManifest
  let config: Config
  before(async () => {
    manifest = loadManifest() as DocumentedManifest
    config = await Config.load(ROOT)
  })

  it('every command has a summary, a description and examples of itself', () => {
    const lacking: string[] = []
    for (const [id, command] of Object.entries(manifest)) {
      const name = id.replaceAll(':', ' ')
      if (!command.summary?.trim()) lacking.push(`${name}: no summary`)
      else if (command.summary.includes('\n')) lacking.push(`${name}: summary of more than one line`)
      if (!command.description?.trim()) lacking.push(`${name}: no description`)
      else if (command.description.trim() === command.summary?.trim()) lacking.push(`${name}: description repeats the summary`)
      const examples = (command.examples ?? []).map((e) => (typeof e === 'string' ? e : e.command))
      if (examples.length === 0) lacking.push(`${name}: no examples`)
      for (const example of examples) if (!example.includes('<%= command.id %>')) lacking.push(`${name}: an example of another command: ${example}`)
    }
    expect(Object.keys(manifest).length).to.be.greaterThan(100)
    expect(lacking).to.deep.equal([])
  })

  it("every --help example parses with the command's own flags and arguments (oclif's parser)", async () => {
    const examples = helpExamples(manifest)
    expect(examples.length).to.be.greaterThan(250)
    const broken: string[] = []
    for (const example of examples) {
      const found = commandOf(manifest, example.argv)
      if (!found) {
        broken.push(`${example.source}: ${example.text} — no such command`)
        continue
      }
      const problem = await parseProblem(config, found.id, found.rest)
      if (problem) broken.push(`${example.source}: ${example.text} — ${problem}`)
    }
    expect(broken).to.deep.equal([])
  })

  it('every erp line of the README and docs/ code blocks is a command erp has, with its flags', async () => {
    const lines = documentedLines()
    expect(lines.map((l) => l.text)).to.include('erp --profile acme tenants show acme')
    const broken: string[] = []
    for (const l of lines) {
      const words = globalFlagsAfterCommand(l.argv)
      // A plugin's command (erp autocomplete bash) is checked by oclif's parser; erp's own against
      // the manifest, which lets the docs write placeholders (<slug>, X).
      const plugin = pluginCommandOf(config, words)
      const problem = plugin
        ? await parseProblem(config, plugin.id, plugin.rest)
        : commandLineProblem(manifest, words.map((w) => (/\s/.test(w) ? 'X' : w)).join(' ')) // "Acme Ltd" is one value
      if (problem) broken.push(`${l.source}: ${l.text} — ${problem}`)
    }
    expect(broken).to.deep.equal([])
  })

  describe('run as printed, on a fresh tenant (the examples that need no data)', () => {
    const slug = uniqueSlug('doc')
    before(async () => {
      const created = await runCli(['tenants', 'create', slug, '--json'])
      expect(created.code, created.stdout).to.equal(0)
    })

    const readOnly = (e: Example) => {
      const found = commandOf(manifest, e.argv)
      return found && !manifest[found.id].audited && !SIDE_EFFECTS.has(found.id) && !writesAFile(e.argv) && !e.argv.includes('--repair')
    }

    it('each one ends ok, or says which record or file it needs; none is a usage error', async function () {
      this.timeout(600_000)
      const examples = [...helpExamples(manifest), ...documentedLines()].filter(readOnly)
      expect(examples.length).to.be.greaterThan(80)
      const failed: string[] = []
      let ran = 0
      for (const example of examples) {
        // The documents' tenant is acme: this run's tenant stands in for it (slugs are server-wide).
        const argv = example.argv.map((w) => w.replace(/^acme$/, slug).replace(/^--tenant=acme$/, `--tenant=${slug}`))
        // An export's stdout is its CSV; everything else answers in the envelope.
        const json = argv.includes('--json') || argv[0] === 'export' ? argv : [...argv, '--json']
        const env = argv.includes('--all-tenants') ? {} : { ERP_TENANT: slug }
        const r = await runCli(json, { env })
        ran++
        if (r.code !== 0 && !needsData(r)) failed.push(`${example.source}: ${example.text} — exit ${r.code} ${r.json?.error?.kind ?? ''} ${r.json?.error?.message ?? r.stderr.trim()}`)
      }
      expect(ran).to.equal(examples.length)
      expect(failed).to.deep.equal([])
    })
  })
})

/**
 * A run that got past parsing and stopped at what a fresh tenant lacks: a record the example names
 * (NOT_FOUND; 65 when every problem is a missing customer, product or attribute), a file it names
 * (66), an object store it names (78: no S3 credentials here), or a check that reports findings
 * (exit 1 with a result, as check-distributable does).
 */
function needsData(r: CliResult): boolean {
  const error = r.json?.error
  if (r.code === 66 || r.code === 1 && error?.kind === 'NOT_FOUND') return true
  if (r.code === 78 && /^No S3 credentials /.test(String(error?.message))) return true
  if (r.code === 1 && !error && r.json?.result !== undefined) return true
  if (r.code !== 65 || !error) return false
  const problems = String(error.message).replace(/^[^:]*: /, '').split('; ')
  return problems.every((p) => /^[\w.[\]]+: (no|unknown) \w+ "[^"]*"$/.test(p))
}

/** Why oclif would refuse these words for this command, or null. Nothing runs: only the parser. */
async function parseProblem(config: Config, id: string, argv: string[]): Promise<string | null> {
  const command = (await config.findCommand(id)!.load()) as typeof Command & { baseFlags?: Command.Class['flags'] }
  try {
    await Parser.parse(argv, {
      flags: { ...command.baseFlags, ...command.flags, json: Flags.boolean() },
      args: command.args,
      strict: command.strict,
    })
    return null
  } catch (err) {
    return (err as Error).message.split('\n')[0]
  }
}
