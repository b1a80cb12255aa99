/**
 * JSON Schemas of every command's --json result, generated from the result type its run() returns
 * (`async run(): Promise<ProductsListResult>`), one file per command: schemas/<command id>.json,
 * the id's spaces as dashes (schemas/stock-reorder-list.json). They are the contract scripts read;
 * the snapshot test (test/lib/cli/result-schemas.test.ts) fails when a result type changes and the
 * committed schema does not, so a change to a --json shape is made on purpose:
 *
 *   npm run schemas          write schemas/ from the types (then review and commit the diff)
 *   npm run schemas -- --check   exit 1 if schemas/ and the types differ
 *
 * The schema describes the `result` of the envelope ({"status", "result", "warnings"}).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { createGenerator, type Config } from 'ts-json-schema-generator'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const COMMANDS = path.join(ROOT, 'src', 'commands')
export const SCHEMA_DIR = path.join(ROOT, 'schemas')

export interface CommandResultType {
  /** The command id as typed: `stock reorder list`. */
  id: string
  file: string
  /** The exported type run() returns. */
  type: string
}

const RUN_SIGNATURE = /async run\(\): Promise<(\w+)>/

function commandFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? commandFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
}

/** Every command and the type of its result; a command whose run() names no exported result type is an error. */
export function commandResultTypes(): CommandResultType[] {
  return commandFiles(COMMANDS).map((file) => {
    const source = fs.readFileSync(file, 'utf8')
    const type = RUN_SIGNATURE.exec(source)?.[1]
    const relative = path.relative(COMMANDS, file).replace(/\.ts$/, '').split(path.sep)
    if (relative.at(-1) === 'index') relative.pop()
    const id = relative.join(' ')
    if (!type || !new RegExp(`export (?:type|interface) ${type}\\b`).test(source)) {
      throw new Error(`${path.relative(ROOT, file)}: run() must be declared as "async run(): Promise<${'<Name>Result'}>" with that type exported from the file`)
    }
    return { id, file, type }
  })
}

export const schemaFile = (id: string) => path.join(SCHEMA_DIR, `${id.replaceAll(' ', '-')}.json`)

/** The schema of each command's result, as the text written to its file. */
export function generateSchemas(): Map<string, string> {
  const commands = commandResultTypes()
  const config: Config = {
    path: path.join(COMMANDS, '**', '*.ts'),
    tsconfig: path.join(ROOT, 'tsconfig.build.json'),
    skipTypeCheck: true,
    expose: 'export',
    topRef: true,
    jsDoc: 'basic',
    sortProps: true,
    additionalProperties: false,
  }
  const generator = createGenerator(config)
  const out = new Map<string, string>()
  const failures: string[] = []
  for (const command of commands) {
    try {
      const schema = generator.createSchema(command.type)
      out.set(command.id, `${JSON.stringify({ $comment: `erp ${command.id} --json: the envelope's result`, ...schema }, null, 2)}\n`)
    } catch (err) {
      failures.push(`${command.id} (${command.type}): ${(err as Error).name}: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  if (failures.length) throw new Error(`No schema for ${failures.length} result type(s):\n${failures.join('\n')}`)
  return out
}

/** Files in schemas/ that differ from the types, are missing, or belong to no command. */
export function staleSchemas(generated: Map<string, string>): string[] {
  const expected = new Set([...generated.keys()].map((id) => path.basename(schemaFile(id))))
  const problems: string[] = []
  for (const [id, text] of generated) {
    const file = schemaFile(id)
    if (!fs.existsSync(file)) problems.push(`schemas/${path.basename(file)} is missing (erp ${id})`)
    else if (fs.readFileSync(file, 'utf8') !== text) problems.push(`schemas/${path.basename(file)} differs from ${id}'s result type`)
  }
  if (fs.existsSync(SCHEMA_DIR)) {
    for (const name of fs.readdirSync(SCHEMA_DIR).sort()) if (!expected.has(name)) problems.push(`schemas/${name} belongs to no command`)
  }
  return problems
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const generated = generateSchemas()
  if (process.argv.includes('--check')) {
    const problems = staleSchemas(generated)
    for (const p of problems) console.error(p)
    if (problems.length) console.error('Run npm run schemas, review the diff and commit it.')
    process.exitCode = problems.length ? 1 : 0
  } else {
    fs.rmSync(SCHEMA_DIR, { recursive: true, force: true })
    fs.mkdirSync(SCHEMA_DIR, { recursive: true })
    for (const [id, text] of generated) fs.writeFileSync(schemaFile(id), text)
    console.log(`Wrote ${generated.size} schemas to schemas/`)
  }
}
