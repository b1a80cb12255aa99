import { AsyncLocalStorage } from 'node:async_hooks'
import type { Readable, Writable } from 'node:stream'

/** An output stream, with what a terminal check reads from it (a captured one is no terminal). */
export type IoWritable = Writable & { isTTY?: boolean; columns?: number }
export type IoReadable = Readable & { isTTY?: boolean }

/**
 * Where a command's output goes, its input comes from, and its exit code is set. A command
 * reaches these through `currentIo()`, never through `process.stdout` / `process.exitCode`
 * directly, so the tests can run commands in-process and capture each run (`withIo`) without
 * patching globals; a real run gets the process itself.
 */
export interface Io {
  stdout: IoWritable
  stderr: IoWritable
  stdin: IoReadable
  setExitCode(code: number): void
}

const PROCESS_IO: Io = {
  get stdout() {
    return process.stdout
  },
  get stderr() {
    return process.stderr
  },
  get stdin() {
    return process.stdin
  },
  setExitCode(code) {
    process.exitCode = code
  },
}

const storage = new AsyncLocalStorage<Io>()

/** The Io of the run in progress: the process's own outside `withIo`. */
export function currentIo(): Io {
  return storage.getStore() ?? PROCESS_IO
}

/** Runs `fn` (and everything it starts) with `io` as its Io. */
export function withIo<R>(io: Io, fn: () => R): R {
  return storage.run(io, fn)
}
