import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { expect } from 'chai'

/**
 * Where code lives (docs/developing.md): the command layer (src/lib/cli/) builds on the domain
 * services, they build on the ground floor (src/lib/db/, src/lib/errors.ts, src/lib/paths.ts),
 * never the other way.
 * Each rule reads the import specifiers of src/lib's files and names every file that breaks it.
 */

const ROOT = path.resolve(import.meta.dirname, '../..')
const LIB = 'src/lib'

interface SourceFile {
  /** Repository-relative, with forward slashes: src/lib/db/connect.ts */
  file: string
  text: string
}

interface Rule {
  name: string
  /** The files the rule is about. */
  applies: (file: string) => boolean
  /** Whether a file may import `target`: a repository-relative .ts path, or a package name. */
  allows: (target: string) => boolean
}

const isUnder = (dir: string) => (file: string) => file.startsWith(`${dir}/`)
const isPackage = (target: string) => !target.startsWith(`${LIB}/`) && !target.startsWith('src/')
const GROUND_FILES = [`${LIB}/errors.ts`, `${LIB}/paths.ts`]
const inDomain = (file: string) => isUnder(LIB)(file) && !isUnder(`${LIB}/cli`)(file)

const RULES: Rule[] = [
  {
    name: 'a domain file (src/lib/ outside cli/) imports no oclif',
    applies: inDomain,
    allows: (target) => !target.startsWith('@oclif/'),
  },
  {
    name: 'a domain or db file never imports the command layer (src/lib/cli/)',
    applies: inDomain,
    allows: (target) => !isUnder(`${LIB}/cli`)(target),
  },
  {
    name: 'db/ builds only on db/, errors.ts, paths.ts and packages (the caller passes what it needs)',
    applies: isUnder(`${LIB}/db`),
    allows: (target) => isPackage(target) || isUnder(`${LIB}/db`)(target) || GROUND_FILES.includes(target),
  },
  {
    name: 'src/lib/errors.ts, the ground floor, imports nothing of erp',
    applies: (file) => file === `${LIB}/errors.ts`,
    allows: isPackage,
  },
]

/** Every import specifier of a file: static, type-only, dynamic and export-from, comments left out. */
function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const specifiers: string[] = []
  for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*(['"])([^'"\n]+)\1/g)) specifiers.push(m[2])
  return specifiers
}

/** A specifier as a repository-relative .ts path (relative imports) or as the package it names. */
function resolveImport(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier))
  return resolved.replace(/\.js$/, '.ts')
}

function layeringViolations(files: SourceFile[], rules: Rule[] = RULES): string[] {
  const violations: string[] = []
  for (const { file, text } of files) {
    for (const rule of rules) {
      if (!rule.applies(file)) continue
      for (const specifier of importSpecifiers(text)) {
        if (!rule.allows(resolveImport(file, specifier))) violations.push(`${file} imports '${specifier}': ${rule.name}`)
      }
    }
  }
  return violations
}

function sourceFiles(dir: string): SourceFile[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `${dir}/${name.split(path.sep).join('/')}`)
    .sort()
    .map((file) => ({ file, text: readFileSync(path.join(ROOT, file), 'utf8') }))
}

describe('layering of src/lib', () => {
  it('holds for every file', () => {
    const files = sourceFiles(LIB)
    expect(files.length).to.be.greaterThan(100)
    const violations = layeringViolations(files)
    expect(violations, violations.join('\n')).to.deep.equal([])
  })

  it('finds every kind of import that breaks it, and names the file', () => {
    const violations = layeringViolations([
      { file: 'src/lib/stock/a.ts', text: "import { Flags } from '@oclif/core'" },
      { file: 'src/lib/stock/b.ts', text: "import type { Column } from '../cli/render.js'" },
      { file: 'src/lib/stock/c.ts', text: "const { BaseCommand } = await import('../cli/base-command.js')" },
      { file: 'src/lib/stock/d.ts', text: "export {\n  renderList,\n} from '../cli/render.js'" },
      { file: 'src/lib/e.ts', text: "import { x } from './cli/flags.js'" },
      { file: 'src/lib/errors.ts', text: "import { quoteIdent } from './db/identifiers.js'" },
      { file: 'src/lib/db/f.ts', text: "import type { Tenant } from '../tenants/tenant.js'" },
      { file: 'src/lib/db/g.ts', text: "const { getProfile } = await import('../auth/profiles.js')" },
      { file: 'src/lib/db/h.ts', text: "import { x } from '../validation.js'" },
    ])
    expect(violations).to.have.length(9)
    expect(violations[0]).to.match(/^src\/lib\/stock\/a\.ts imports '@oclif\/core': a domain file/)
    expect(violations[2]).to.match(/^src\/lib\/stock\/c\.ts imports '\.\.\/cli\/base-command\.js'/)
  })

  it('lets the command layer use oclif and the domains, and ignores imports in comments', () => {
    expect(layeringViolations([
      { file: 'src/lib/cli/flags.ts', text: "import { Flags } from '@oclif/core'\nimport { x } from '../stock/moves.js'" },
      { file: 'src/lib/stock/moves.ts', text: "// not: import { y } from '../cli/render.js'\nimport { z } from '../errors.js'" },
      { file: 'src/lib/stock/levels.ts', text: "/* import { y } from '../cli/render.js' */\nimport type { Knex } from 'knex'" },
      {
        file: 'src/lib/db/i.ts',
        text: "import pg from 'pg'\nimport { x } from './knex.js'\nimport { dataDir } from '../paths.js'\nimport { ErpError } from '../errors.js'",
      },
    ])).to.deep.equal([])
  })
})
