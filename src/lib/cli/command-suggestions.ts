import type { Interfaces } from '@oclif/core'

import { ErpError, ErrorKind } from '../errors.js'
import { currentIo } from '../io.js'
import { exitCodeOf } from './exit-codes.js'
import { cutStrings, forTerminal } from './sanitize.js'
import { colorEnabled } from './terminal.js'

/**
 * What erp answers to a command line it has no command for (`erp tenant list`, `erp help tenats`):
 * the words as typed, with spaces, and the closest commands or topics, as `gh` and `sf` do.
 */

/** Levenshtein distance, with a transposition counting as one edit (lits → list). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/** How far a typed word may be from a real one and still be taken for a typo of it. */
function tolerance(word: string): number {
  return Math.max(1, Math.floor(word.length / 3))
}

/**
 * The closest commands (space-separated) to the typed words, best first, at most three. A command
 * is compared with as many typed words as it has (the words left over are its arguments, and
 * follow the suggestion); a topic only with a line of as many words (`erp tenant` → `erp
 * tenants`). Every word must be within its tolerance, and a guess must change something.
 */
export function closestCommands(typed: string[], commands: string[], topics: string[] = []): string[] {
  const scored = new Map<string, { score: number; words: number }>()
  const consider = (candidate: string, isTopic: boolean) => {
    const words = candidate.split(/[: ]/)
    if (words.length > typed.length || (isTopic && words.length !== typed.length)) return
    let score = 0
    for (let i = 0; i < words.length; i++) {
      const distance = editDistance(typed[i].toLowerCase(), words[i])
      if (distance > tolerance(words[i])) return
      score += distance
    }
    if (score === 0) return
    const line = [...words, ...typed.slice(words.length)].join(' ')
    const known = scored.get(line)
    if (!known || known.score > score) scored.set(line, { score, words: words.length })
  }
  for (const command of commands) consider(command, false)
  for (const topic of topics) consider(topic, true)
  const ranked = [...scored].sort(([a, x], [b, y]) => x.score - y.score || y.words - x.words || a.localeCompare(b))
  const best = ranked.length ? ranked[0][1].score : 0
  return ranked.filter(([, s]) => s.score === best).slice(0, 3).map(([line]) => line)
}

/**
 * The usage error (exit 2) for a command line with no command: what was typed, the guesses, where
 * to look. `via` is what came before the words (`help ` for `erp help tenant list`).
 */
export function commandNotFound(bin: string, typed: string[], known: { commands: string[]; topics: string[] }, via = ''): ErpError {
  const guesses = closestCommands(typed, known.commands, known.topics).map((g) => `${bin} ${via}${g}`)
  const line = typed.join(' ')
  return new ErpError(ErrorKind.USAGE, `Unknown command "${bin} ${via}${line}".`, {
    actions: [...guesses.map((g) => `Did you mean: ${g}`), `See the commands: ${bin} help${known.topics.includes(typed[0]) ? ` ${typed[0]}` : ''}`],
    data: { command: `${via}${line}`, suggestions: guesses },
  })
}

/** Every command a person may type, and every topic (`erp stock` lists the stock commands). */
export function candidates(config: Interfaces.Config): { commands: string[]; topics: string[] } {
  return {
    commands: config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]),
    topics: config.topics.filter((t) => !t.hidden).map((t) => t.name),
  }
}

/** As the base command reports an error: the envelope on stdout under --json, else `Error:` and the actions on stderr. */
export function reportUsageFailure(error: ErpError, config: Interfaces.Config, argv: string[]): void {
  const io = currentIo()
  const code = exitCodeOf(error)
  const words = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length)
  if (words.includes('--json') || config.scopedEnvVar('CONTENT_TYPE')?.toLowerCase() === 'json') {
    const envelope = cutStrings({ status: code, warnings: [], error: { name: error.name, message: error.message, kind: error.kind, actions: error.actions, data: error.data } })
    io.stdout.write(`${JSON.stringify(envelope, null, 2)}\n`)
    return
  }
  const red = (s: string) => (colorEnabled(argv) ? `\u001B[31m${s}\u001B[39m` : s)
  io.stderr.write(`${red('Error:')} ${forTerminal(error.message)}\n`)
  for (const action of error.actions) io.stderr.write(`  → ${forTerminal(action)}\n`)
}

