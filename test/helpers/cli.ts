import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { expect } from 'chai'

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'run.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON, when it is JSON (--json runs). */
  json?: any
}

export interface CliOptions {
  env?: Record<string, string | undefined>
  input?: string
  timeoutMs?: number
}

/** Run the real erp executable (bin/run.js over dist/), as an operator's shell would. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      let json: unknown
      try {
        json = JSON.parse(stdout)
      } catch {
        json = undefined
      }
      resolve({ code, signal, stdout, stderr, json })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Start erp without waiting, for tests that kill it halfway. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}) {
  const merged: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v
  return spawn(process.execPath, [BIN, ...args], { env: merged, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** The result of a --json run that succeeded (the test fails otherwise, showing its output). */
export function okResult(r: CliResult): any {
  expect(r.code, `${r.stderr}\n${r.stdout}`).to.equal(0)
  expect(r.json?.status).to.equal(0)
  return r.json.result
}

/** The error of a --json run that failed with this exit code and a message like `message`. */
export function failedWithMessage(r: CliResult, code: number, message: RegExp): any {
  expect(r.code, r.stdout + r.stderr).to.equal(code)
  expect(r.json?.status, r.stdout).to.equal(code)
  expect(r.json.error.message).to.match(message)
  return r.json.error
}

/** The error of a --json run that failed with this exit code and error kind. */
export function failedWith(r: CliResult, code: number, kind: string): any {
  expect(r.code, r.stdout + r.stderr).to.equal(code)
  expect(r.json?.error?.kind, r.stdout).to.equal(kind)
  return r.json.error
}
