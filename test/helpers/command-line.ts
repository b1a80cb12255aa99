import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import ts from 'typescript'

/**
 * What erp tells an operator to run next, checked against what erp accepts: the suggested
 * command lines in the source (error actions and "… with: erp …" hints) and the oclif manifest
 * of the build (flags, their kinds, args).
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

interface ManifestFlag { name: string; type: 'option' | 'boolean'; char?: string; allowNo?: boolean; required?: boolean }
interface ManifestCommand { id: string; flags: Record<string, ManifestFlag>; args: Record<string, { required?: boolean }>; strict?: boolean }
export type Manifest = Record<string, ManifestCommand>

export function loadManifest(): Manifest {
  return JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')).commands
}

/** A template span (`${slug}`) stands for one value. */
const VALUE = 'X'

/** `erp …` command lines in a text, each cut where the prose goes on (`; `, ` or `, `, then`, `)`…). */
export function commandLinesIn(text: string): string[] {
  const lines: string[] = []
  // A placeholder is one value, whatever it says: <start of SKU or name>.
  const plain = text.replace(/<[^<>\n]*>/g, '<value>')
  for (const match of plain.matchAll(/(?:^|[\s(:'"`])erp ([^\n]*)/g)) {
    const line = match[1].split(/;|\s&&\s|\s\|\s|\sor\s|,\s|\s\(|\)|\.\s|\sthen\s|\s—\s/)[0].replace(/[.:]$/, '').trim()
    if (line) lines.push(line)
  }
  return lines
}

/**
 * Why a command line would not run as printed, or null when it would. Placeholders (<code>, X)
 * count as values; `…` elides the rest. A bare command named in prose ("receive stock (erp stock
 * receive)") need only exist; once a command's arguments are used up, a lowercase word starts the
 * prose again ("erp tenants usage shows each tenant's size"). Shell redirections are the shell's.
 */
export function commandLineProblem(manifest: Manifest, line: string): string | null {
  const words = line.split(/\s+/).filter(Boolean)
  const redirect = (w: string | undefined) => w === '<' || w === '>'
  const tokens = words.filter((w, i) => !redirect(w) && !redirect(words[i - 1]))
  let id = ''
  let used = 0
  for (let n = tokens.length; n > 0; n--) {
    const candidate = tokens.slice(0, n).join(':')
    if (manifest[candidate]) {
      id = candidate
      used = n
      break
    }
  }
  if (!id) return `no command "${tokens.slice(0, 2).join(' ')}"`
  const command = manifest[id]
  if (used === tokens.length) return null
  const args = Object.values(command.args ?? {})
  const flagsSeen = new Set<string>()
  let positionals = 0
  let elided = false
  for (let i = used; i < tokens.length; i++) {
    const token = tokens[i]
    if (token === '…' || token === '...') {
      elided = true
      break
    }
    if (token.startsWith('--')) {
      const [name, inline] = token.slice(2).split('=', 2)
      const flag = command.flags[name] ?? (name.startsWith('no-') && command.flags[name.slice(3)]?.allowNo ? command.flags[name.slice(3)] : undefined)
      if (!flag) return `${id.replaceAll(':', ' ')} has no flag --${name}`
      flagsSeen.add(flag.name)
      if (flag.type === 'option' && inline === undefined) {
        if (i + 1 >= tokens.length) return `--${name} needs a value`
        i++
      }
    } else if (/^-[a-zA-Z]$/.test(token)) {
      const flag = Object.values(command.flags).find((f) => f.char === token[1])
      if (!flag) return `${id.replaceAll(':', ' ')} has no flag ${token}`
      flagsSeen.add(flag.name)
      if (flag.type === 'option') i++
    } else if (positionals >= args.length && command.strict !== false && /^[a-z][a-z']*$/.test(token)) {
      break
    } else {
      positionals++
    }
  }
  if (command.strict !== false && positionals > args.length) {
    return `${id.replaceAll(':', ' ')} takes ${args.length} argument(s), the line gives ${positionals}`
  }
  if (elided) return null
  const requiredArgs = args.filter((a) => a.required).length
  if (positionals < requiredArgs) return `${id.replaceAll(':', ' ')} needs ${requiredArgs} argument(s), the line gives ${positionals}`
  const missing = Object.values(command.flags).filter((f) => f.required && !flagsSeen.has(f.name)).map((f) => `--${f.name}`)
  return missing.length ? `${id.replaceAll(':', ' ')} needs ${missing.join(', ')}` : null
}

export interface Suggestion {
  file: string
  line: number
  command: string
}

/**
 * Every suggested command line in src/: strings under an `actions`/`action` property, and any
 * string that says "… with: erp …". Lines whose first word is no topic or command are prose
 * ("any erp command"), not suggestions.
 */
export function suggestionsInSource(manifest: Manifest): Suggestion[] {
  const firstWords = new Set(Object.keys(manifest).map((id) => id.split(':')[0]))
  const found: Suggestion[] = []
  for (const file of ts.sys.readDirectory(path.join(ROOT, 'src'), ['.ts'])) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const collect = (node: ts.Node, underAction: boolean) => {
      const text = stringText(node)
      if (text !== null && (underAction || /with: erp /.test(text))) {
        for (const command of commandLinesIn(text)) {
          if (!firstWords.has(command.split(' ')[0])) continue
          const { line } = source.getLineAndCharacterOfPosition(node.getStart())
          found.push({ file: path.relative(ROOT, file), line: line + 1, command })
        }
      }
      const action = ts.isPropertyAssignment(node) && ['actions', 'action'].includes(node.name.getText(source))
      ts.forEachChild(node, (child) => collect(child, underAction || action))
    }
    collect(source, false)
  }
  return found
}

function stringText(node: ts.Node): string | null {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => VALUE + s.literal.text).join('')
  return null
}
