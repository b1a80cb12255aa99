import { spawn } from 'node:child_process'
import path from 'node:path'
import { Readable, Writable } from 'node:stream'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { Config, Errors, run } from '@oclif/core'
import { expect } from 'chai'

import { globalFlagsAfterCommand } from '../../src/lib/cli/global-flags.js'
import type { Io, withIo as WithIo } from '../../src/lib/io.js'
import { noteChildStderr } from './node-warnings.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = path.join(ROOT, 'bin', 'run.js')
// The built Io module, the one the built commands import: src/lib/cli/io.ts loaded through tsx
// would be another module instance, with a storage of its own that no command reads.
const BUILT_IO = pathToFileURL(path.join(ROOT, 'dist', 'src', 'lib', 'io.js')).href

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON, when it is JSON (--json runs). */
  json?: any
}

export interface CliOptions {
  /** Variables to set for the run; a key set to undefined is removed for the run. */
  env?: Record<string, string | undefined>
  /** All of stdin. */
  input?: string
}

export interface ProcessOptions extends CliOptions {
  /** The child is killed (SIGKILL) after this long; 60 s by default. */
  timeoutMs?: number
}

/**
 * Run an erp command in this process, as bin/run.js would (the built commands over dist/, the
 * same manifest), its output and exit code captured through the command Io (src/lib/cli/io.ts).
 * Commands read process.env (DATABASE_URL, ERP_PROFILE, flag defaults), so runs take turns and
 * `options.env` applies to process.env for the run only. Tests whose point is the process itself
 * (runs that must overlap, kills, exit codes end to end, timeouts) use runProcess.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return oneAtATime(() => runInProcess(args, options))
}

let turn: Promise<unknown> = Promise.resolve()
function oneAtATime<R>(work: () => Promise<R>): Promise<R> {
  const result = turn.then(work, work)
  turn = result.catch(() => undefined)
  return result
}

let loaded: Promise<{ config: Config; withIo: typeof WithIo }> | undefined
/** oclif's Config and the built Io module, loaded once per test process. */
function loadCli() {
  loaded ??= (async () => {
    const [config, io] = await Promise.all([Config.load(ROOT), import(BUILT_IO) as Promise<{ withIo: typeof WithIo }>])
    return { config, withIo: io.withIo }
  })()
  return loaded
}

async function runInProcess(args: string[], options: CliOptions): Promise<CliResult> {
  const { config, withIo } = await loadCli()
  const stdout = new Capture()
  const stderr = new Capture()
  let code = 0
  const io: Io = {
    stdout,
    stderr,
    stdin: Readable.from(options.input ? [Buffer.from(options.input)] : []),
    setExitCode: (exit) => (code = exit),
  }
  const restoreEnv = applyEnv(options.env ?? {})
  const exitCodeBefore = process.exitCode
  try {
    await withIo(io, async () => {
      try {
        // bin/run.js moves leading global flags (erp --profile p tenants list) behind the command.
        await run(globalFlagsAfterCommand(args), config)
      } catch (err) {
        code = escapedError(err as EscapedError, stderr)
      }
    })
  } finally {
    restoreEnv()
    process.exitCode = exitCodeBefore
  }
  const out = stdout.text()
  return { code, signal: null, stdout: out, stderr: stderr.text(), json: parseJson(out) }
}

type EscapedError = Error & { oclif?: { exit?: number }; suggestions?: string[]; skipOclifErrorHandling?: boolean }

/**
 * What oclif's execute() does (errors/handle.ts) with an error no command caught, an unknown
 * command for one: the message on stderr, exit code `err.oclif.exit` or 1.
 */
function escapedError(err: EscapedError, stderr: Writable): number {
  if (!(err instanceof Errors.ExitError) && !err.skipOclifErrorHandling) {
    const suggestions = err.suggestions?.length ? `\nTry this: ${err.suggestions.join(', ')}` : ''
    stderr.write(`Error: ${err.message}${suggestions}\n`)
  }
  return err.oclif?.exit ?? 1
}

/** Sets `overrides` on process.env; the function returned puts back the whole environment, whatever the run changed. */
function applyEnv(overrides: Record<string, string | undefined>): () => void {
  const before = { ...process.env }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key]
    for (const [key, value] of Object.entries(before)) if (process.env[key] !== value) process.env[key] = value
  }
}

/** A stream that keeps what is written to it: not a terminal, so commands behave as in a pipe. */
class Capture extends Writable {
  private chunks: Buffer[] = []

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk)
    done()
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function childEnv(overrides: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, ...overrides })) if (v !== undefined) env[k] = v
  return env
}

/** Run the real erp executable (bin/run.js over dist/), as an operator's shell would: a process of its own. */
export function runProcess(args: string[], options: ProcessOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(options.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      noteChildStderr(stderr)
      resolve({ code, signal, stdout, stderr, json: parseJson(stdout) })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Start erp without waiting, for tests that kill it halfway. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  child.on('close', () => noteChildStderr(stderr))
  return child
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

/** A new tenant made through the CLI (tenants create), its slug from `prefix`; the test fails if it cannot be made. */
export async function cliTenant(prefix: string): Promise<string> {
  const { uniqueSlug } = await import('./database.js')
  const slug = uniqueSlug(prefix)
  const r = await runCli(['tenants', 'create', slug, '--json'])
  expect(r.code, r.stderr + r.stdout).to.equal(0)
  return slug
}
