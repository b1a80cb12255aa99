import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Manifest } from './command-line.js'

/**
 * The command lines erp documents: each command's `examples` (what `--help` prints) and the
 * `erp …` lines in the README's and docs' code blocks, as argv arrays a test can parse and run.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface Example {
  /** Where it is written: `tenants:create` (an example of its help) or `README.md:42`. */
  source: string
  /** The line as printed, `erp` and the command id filled in. */
  text: string
  /** The words after `erp`, quotes removed, redirections dropped. */
  argv: string[]
}

interface Word {
  text: string
  /** Quoted, wholly or in part: never an operator. */
  quoted: boolean
}

/** Words as a POSIX shell splits them (single and double quotes, # comments; no expansion). */
export function shellWords(line: string): Word[] {
  const words: Word[] = []
  let word: Word | null = null
  let quote: '"' | "'" | null = null
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quote) {
      if (ch === quote) quote = null
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word!.text += line[++i]
      else word!.text += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      word ??= { text: '', quoted: true }
      word.quoted = true
    } else if (/\s/.test(ch)) {
      if (word) words.push(word)
      word = null
    } else if (ch === '#' && !word) {
      break
    } else {
      word ??= { text: '', quoted: false }
      word.text += ch
    }
  }
  if (word) words.push(word)
  return words
}

const OPERATORS = new Set(['|', '&&', '||', ';'])
const REDIRECT = /^\d?[<>]{1,2}$/
/** erp as a shell runs it: `erp`, `/usr/bin/erp`, a systemd `ExecStart=/usr/bin/erp`. */
const ERP = /^(ExecStart=)?(\/\S*\/)?erp$/

/**
 * Each `erp …` invocation of a shell line: `a | erp x` and `erp x && erp y` give one each. erp
 * must be what the segment runs (after `VAR=value`, `sudo`, `npx` or `ssh host`), so
 * `ALTER DATABASE erp …` and `Description=… erp …` are not invocations.
 */
export function erpInvocations(line: string): string[][] {
  const segments: Word[][] = [[]]
  for (const word of shellWords(line)) {
    if (!word.quoted && OPERATORS.has(word.text)) segments.push([])
    else segments.at(-1)!.push(word)
  }
  const found: string[][] = []
  for (const segment of segments) {
    let i = 0
    while (i < segment.length && !segment[i].quoted && /^[A-Z_]+=/.test(segment[i].text) && !ERP.test(segment[i].text)) i++
    if (segment[i]?.text === 'sudo' || segment[i]?.text === 'npx') i++
    if (segment[i]?.text === 'ssh') i += 2
    if (!segment[i] || segment[i].quoted || !ERP.test(segment[i].text)) continue
    const argv: string[] = []
    for (let j = i + 1; j < segment.length; j++) {
      if (!segment[j].quoted && REDIRECT.test(segment[j].text)) j++ // and the file the shell opens
      else argv.push(segment[j].text)
    }
    found.push(argv)
  }
  return found
}

/** Every command's help examples, as `erp` and the id would print them. */
export function helpExamples(manifest: Manifest & Record<string, { examples?: (string | { command: string })[] }>): Example[] {
  const examples: Example[] = []
  for (const [id, command] of Object.entries(manifest)) {
    for (const example of command.examples ?? []) {
      const raw = typeof example === 'string' ? example : example.command
      const text = raw.replaceAll('<%= config.bin %>', 'erp').replaceAll('<%= command.id %>', id.replaceAll(':', ' '))
      for (const argv of erpInvocations(text)) examples.push({ source: id.replaceAll(':', ' '), text, argv })
    }
  }
  return examples
}

/** The `erp …` lines of the code blocks (```sh, ```cron…) in README.md and docs/*.md. */
export function documentedLines(): Example[] {
  const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
  const examples: Example[] = []
  for (const file of files) {
    const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n')
    let inBlock = false
    lines.forEach((line, index) => {
      if (/^\s*```/.test(line)) {
        inBlock = !inBlock
        return
      }
      if (!inBlock) return
      // A cron line: five time fields (and in /etc/cron.d, the user) before the command.
      const command = line.replace(/^\s*([\d*,/-]+\s+){5}(erp\s+(?=erp\s))?(?=erp\s)/, '')
      // A synopsis line: its [optional parts] are not part of the command.
      let required = command
      while (/\[[^[\]]*\]/.test(required)) required = required.replace(/\s*\[[^[\]]*\]/g, '')
      for (const argv of erpInvocations(required)) examples.push({ source: `${file}:${index + 1}`, text: line.trim(), argv })
    })
  }
  return examples
}
