import { randomBytes } from 'node:crypto'
import fs, { type FileHandle } from 'node:fs/promises'
import path from 'node:path'

import { configError, ErpError, ErrorKind, isErpError } from '../errors.js'

/**
 * JSON files only their owner may read (profiles.json, credentials.json), in the spirit of .pgpass:
 * a file others can read is refused, and every write is atomic and serialised by a lock.
 */

const FILE_MODE = 0o600
const DIR_MODE = 0o700
/** POSIX modes mean nothing on Windows, where the profile directory's ACLs keep other users out. */
const CHECKS_MODES = process.platform !== 'win32'

export interface UpdateHooks {
  /** Called just before the file is created for the first time. */
  onCreate?: () => void
  /** Called when an existing file was readable by others and has been narrowed to 0600. */
  onModeTightened?: (previousMode: string) => void
}

/** The parsed file, or undefined when it does not exist. */
export async function readPrivateJson(file: string): Promise<Record<string, unknown> | undefined> {
  let handle: FileHandle
  try {
    handle = await fs.open(file, 'r')
  } catch (err) {
    if (isMissing(err)) return undefined
    throw configError(`Cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  try {
    // Check the file we opened, not whatever the path points to a moment later.
    const { mode } = await handle.stat()
    if (CHECKS_MODES && (mode & 0o077) !== 0) throw readableByOthers(file, mode)
    return parseObject(file, await handle.readFile('utf8'))
  } finally {
    await handle.close()
  }
}

/**
 * Read, change and write the file under a lock. `update` returns the new content, or undefined to
 * leave the file as it is.
 */
export async function updatePrivateJson(
  file: string,
  update: (current: Record<string, unknown> | undefined) => Record<string, unknown> | undefined,
  hooks: UpdateHooks = {},
): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: DIR_MODE })
    const release = await lock(file)
    try {
      const existed = await tightenMode(file, hooks)
      const next = update(await readPrivateJson(file))
      if (next === undefined) return
      if (!existed) hooks.onCreate?.()
      await writeAtomically(file, `${JSON.stringify(next, null, 2)}\n`)
    } finally {
      await release()
    }
  } catch (err) {
    if (isErpError(err)) throw err
    throw configError(`Cannot write ${file}: ${(err as Error).message}`, { cause: err })
  }
}

/** Whether the file exists; narrows a wider mode first, because Node applies `mode` only on create. */
async function tightenMode(file: string, hooks: UpdateHooks): Promise<boolean> {
  let mode: number
  try {
    ;({ mode } = await fs.stat(file))
  } catch (err) {
    if (isMissing(err)) return false
    throw err
  }
  if (CHECKS_MODES && (mode & 0o077) !== 0) {
    await fs.chmod(file, FILE_MODE)
    hooks.onModeTightened?.(formatMode(mode))
  }
  return true
}

/** Temp file of mode 0600 next to the target, then rename: readers see the old or the new file, never half. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const handle = await fs.open(temp, 'wx', FILE_MODE)
    try {
      await handle.writeFile(text, 'utf8')
      await handle.sync() // the rename must not reach the disk before the data does
    } finally {
      await handle.close()
    }
    await fs.rename(temp, file)
  } catch (err) {
    await fs.rm(temp, { force: true })
    throw err
  }
}

async function lock(file: string): Promise<() => Promise<void>> {
  const { default: lockfile } = await import('proper-lockfile')
  try {
    // realpath: false lets us lock a file that does not exist yet.
    return await lockfile.lock(file, {
      realpath: false,
      retries: { retries: 40, factor: 1.2, minTimeout: 20, maxTimeout: 250, randomize: true },
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err
    throw new ErpError(ErrorKind.TEMPORARY, `${file} is locked by another erp process`, {
      cause: err,
      actions: ['Try again in a moment.'],
    })
  }
}

function parseObject(file: string, text: string): Record<string, unknown> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    // No cause and no parser message: JSON.parse quotes the text, which may hold a secret.
    data = undefined
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw configError(`${file} is not a valid erp file (malformed JSON)`, {
      actions: [`Fix or remove ${file}.`],
      data: { file },
    })
  }
  return data as Record<string, unknown>
}

function readableByOthers(file: string, mode: number): ErpError {
  const fix = `chmod 600 ${shellQuote(file)}`
  return configError(
    `Refusing to read ${file}: its mode ${formatMode(mode)} lets other users read it. Run: ${fix}`,
    { actions: [`Run \`${fix}\`, then consider changing the passwords it holds.`], data: { file, mode: formatMode(mode) } },
  )
}

const formatMode = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`)

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT'

/** Create `file` (mode 0600) holding `text`; an existing file is refused, never overwritten or widened. */
export async function writeNewPrivateFile(file: string, text: string): Promise<void> {
  let handle: FileHandle
  try {
    handle = await fs.open(file, 'wx', FILE_MODE)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ErpError(ErrorKind.CONFLICT, `${file} exists: it is not overwritten`, { actions: ['Name a new file, or remove that one first.'] })
    }
    throw configError(`Cannot create ${file}: ${(err as Error).message}`, { cause: err })
  }
  try {
    await handle.writeFile(text, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
}
