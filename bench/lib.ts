import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { setUpTestDatabase, tearDownTestDatabase } from '../test/helpers/database.js'
import { buildTemplate, dropTemplate } from '../test/helpers/template-database.js'
import { startTestServer } from '../test/helpers/test-server.js'

/**
 * Shared by the benchmarks: a throwaway database (on TEST_DATABASE_URL's server or the embedded
 * one), timing helpers, and one way to print figures: a table, or one JSON object with --json.
 */

export const json = process.argv.includes('--json')
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js')

export async function withBenchDatabase<T>(work: () => Promise<T>): Promise<T> {
  delete process.env.ERP_PROFILE
  // What mocha's global setup does for the tests (test/helpers/hooks.ts): the server, then the
  // template database each copy comes from (unless a run's template is already there).
  const run = process.env.ERP_TEST_TEMPLATE ? undefined : await buildTemplate(await startTestServer())
  try {
    await setUpTestDatabase()
    try {
      return await work()
    } finally {
      await tearDownTestDatabase()
    }
  } finally {
    if (run) await dropTemplate(run)
  }
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now()
  const value = await work()
  return { ms: performance.now() - started, value }
}

/** Run bin/run.js synchronously; returns wall time in ms. Throws when it fails. */
export function runErp(args: string[], env: Record<string, string> = {}): number {
  const started = performance.now()
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28 })
  const ms = performance.now() - started
  if (r.status !== 0) throw new Error(`erp ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout.slice(0, 2000)}`)
  return ms
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export const progress = (message: string) => {
  if (!json) process.stderr.write(`${message}\n`)
}

export interface Figure {
  name: string
  value: number
  unit: string
  target?: string
  /** Whether the figure meets its target, when it has one. */
  ok?: boolean
}

export function report(suite: string, figures: Figure[], extra: Record<string, unknown> = {}): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ suite, figures: Object.fromEntries(figures.map((f) => [f.name, f.value])), details: figures, ...extra })}\n`)
    return
  }
  const rows = figures.map((f) => [f.name, `${round(f.value)} ${f.unit}`, f.target ?? '', f.ok === undefined ? '' : f.ok ? 'yes' : 'NO'])
  const head = ['figure', 'measured', 'target', 'met']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  process.stdout.write(`${suite}\n${line(head)}\n${line(widths.map((w) => '─'.repeat(w)))}\n${rows.map(line).join('\n')}\n`)
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toString() : n.toFixed(2))

/** Run erp, polling /proc/<pid>/status for VmHWM (peak resident set); ERP_IMPORT_TRACE=1 passes its stderr on (an import's timing notes). */
export function runErpMeasured(args: string[]): Promise<{ ms: number; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    let peak = 0
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peak = Math.max(peak, Number(m[1]))
      } catch {
        // exited
      }
    }, 50)
    child.on('close', (code) => {
      clearInterval(poll)
      const ms = performance.now() - started
      if (code !== 0) reject(new Error(`erp ${args.join(' ')} failed (${code}): ${stderr}${stdout.slice(0, 2000)}`))
      else {
        // ERP_IMPORT_TRACE=1: the import's timing notes.
        if (process.env.ERP_IMPORT_TRACE) process.stderr.write(stderr)
        resolve({ ms, peakRssMb: peak / 1024 })
      }
    })
  })
}
