import { format, inspect } from 'node:util'

import { Command, ux, type Interfaces } from '@oclif/core'

import type { ItemFailure } from '../batch.js'
import { ErpError, ErrorKind, isErpError } from '../errors.js'
import { ExitCode, exitCodeOf } from './exit-codes.js'
import { noColorFlag, profileFlag, queryFlag } from './flags.js'
import { noteProfileFlag } from '../auth/active-profile.js'
import { currentIo, type IoWritable } from '../io.js'
import { listOptionsFrom } from './list-flags.js'
import type { Column } from './render.js'
import type * as Render from './render.js'
import { cutStrings, escapeJsonForTerminal, forTerminal } from './sanitize.js'
import { colorEnabled, isInteractive } from './terminal.js'
import { startProgress, type Progress } from './progress.js'
import type { Knex } from 'knex'

import type { Db } from '../db/connect.js'
import type { TenantWorkOptions } from '../tenants/tenant-work.js'
import type { Tenant } from '../tenants/tenant.js'
import { translateDbError } from '../db/sqlstate.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** The --json envelope, for success and failure alike. */
export interface JsonEnvelope<T> {
  status: number
  result?: T
  warnings: string[]
  error?: { name: string; message: string; kind: string; actions: string[]; data?: unknown }
}

/**
 * Every erp command: --json with one envelope, errors mapped to exit codes, the database opened
 * lazily and closed at the end, and an audit record for commands that change tenants.
 */
/** An item a --skip-failing batch left out, as --json shows it. */
export interface SkippedItem {
  item: string
  kind: ErrorKind
  message: string
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static enableJsonFlag = true
  static baseFlags = {
    profile: profileFlag,
    'no-color': noColorFlag,
    query: queryFlag,
  }

  /** Commands that change a tenant or the registry set this: they leave an audit record. */
  static audited = false

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  /** Every positional argument, for commands with `static strict = false` that take many (erp orders confirm 12 13 14). */
  protected positionals: string[] = []
  /** Set by the command when a partial success should exit 1 although run() returned data. */
  protected exitStatus: ExitCode = ExitCode.OK
  /** The tenant the audit record is about. */
  protected auditTenant?: string
  /** Extra facts for the audit record (an import's file checksum…), next to args and flags. */
  protected auditDetails: Record<string, unknown> = {}
  private warnings: string[] = []
  /** --query's expression, checked before the command runs. */
  private query?: { expression: string; search: (data: never, expression: string) => unknown }
  private database?: Db
  private startedAt = performance.now()
  /** The table/record renderer (cli-table3, csv-stringify): loaded in init() unless the output is --json, which never renders. */
  private renderer?: typeof Render

  public override async init(): Promise<void> {
    await super.init()
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    noteProfileFlag((flags as { profile?: string }).profile)
    this.positionals = argv as string[]
    const expression = (flags as { query?: string }).query
    if (expression !== undefined) this.query = await compileQuery(expression)
    if (!this.jsonEnabled()) this.renderer = await import('./render.js')
  }

  /** --query implies --json, as the AWS CLI's does: also before the flags are parsed (a parse error's envelope). */
  public override jsonEnabled(): boolean {
    if (super.jsonEnabled()) return true
    if (!this.ctor?.enableJsonFlag) return false
    const end = this.argv.indexOf('--')
    return (end === -1 ? this.argv : this.argv.slice(0, end)).some((a) => a === '--query' || a.startsWith('--query='))
  }

  /** The database, connected on first use. Admin connections bring the registry up to date. */
  protected async db(options: { poolMax?: number; skipRegistryUpgrade?: boolean } = {}): Promise<Db> {
    if (!this.database) {
      const { connect } = await import('../auth/connection-target.js')
      this.database = await connect({
        profile: this.flags.profile,
        poolMax: options.poolMax,
        log: (m) => this.note(m),
        // No `select 1` first: the registry check (admins) or the command's first query finds a
        // connection problem, and the catch below translates it. Where that check is skipped, the probe stays.
        probe: options.skipRegistryUpgrade === true,
      })
      if (this.database.scope.kind === 'admin' && !options.skipRegistryUpgrade) {
        const { ensureRegistry, newerRegistry } = await import('../db/registry.js')
        const { unknown } = await ensureRegistry(this.database.knex)
        // Registry writes are refused where they happen (requireRegistryWrite); reads go on.
        if (unknown.length) {
          const { newerSchemaWarning } = await import('../db/newer-schema.js')
          this.warning(newerSchemaWarning(newerRegistry(unknown)))
        }
      }
    }
    return this.database
  }

  /** The tenant to act on: --tenant / ERP_TENANT, or a tenant profile's own. */
  protected async tenantSlug(flag: string | undefined): Promise<string> {
    const db = await this.db()
    const slug = flag ?? (db.scope.kind === 'tenant' ? db.scope.tenant : undefined)
    if (!slug) {
      throw new ErpError(ErrorKind.USAGE, 'No tenant given.', { actions: ['Pass --tenant <slug> or set ERP_TENANT.'] })
    }
    this.auditTenant = slug
    return slug
  }

  /**
   * The tenants a fleet command works on: every tenant with --all-tenants, else the one from
   * --tenant / ERP_TENANT / the tenant profile.
   */
  protected async selectedTenants(flags: { tenant?: string; 'all-tenants'?: boolean }): Promise<Tenant[]> {
    const db = await this.db()
    const { selectTenants } = await import('../tenants/selection.js')
    if (flags['all-tenants']) return selectTenants(db, { all: true })
    return selectTenants(db, { tenant: await this.tenantSlug(flags.tenant) })
  }

  /**
   * Run one service call inside the tenant's scope (see withTenant): the tenant comes from
   * --tenant / ERP_TENANT or the tenant profile.
   */
  protected async inTenant<R>(
    work: (trx: Knex.Transaction, tenant: Tenant) => Promise<R>,
    options: TenantWorkOptions & { tenant?: string } = {},
  ): Promise<R> {
    const db = await this.db()
    const slug = await this.tenantSlug(options.tenant ?? (this.flags as { tenant?: string }).tenant)
    const { withTenant } = await import('../tenants/tenant-work.js')
    return withTenant(db, slug, work, { warn: (m) => this.warnOnce(m), ...options })
  }

  protected get color(): boolean {
    return colorEnabled(this.argv)
  }

  protected get interactive(): boolean {
    return isInteractive() && !this.jsonEnabled()
  }

  /** A spinner on a terminal, nothing otherwise. */
  protected progress(text: string): Promise<Progress> {
    return startProgress(text, { enabled: this.interactive })
  }

  /** oclif's stdout line, through the run's Io (io.ts) like every other write. */
  public override log(message = '', ...args: unknown[]): void {
    if (!this.jsonEnabled()) writeLine(currentIo().stdout, message, args)
  }

  public override logToStderr(message = '', ...args: unknown[]): void {
    if (!this.jsonEnabled()) writeLine(currentIo().stderr, message, args)
  }

  /** A side remark for a person (stderr); silent under --json. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) currentIo().stderr.write(`${forTerminal(message)}\n`)
  }

  /** A warning: on stderr for a person, in the envelope's `warnings` for --json. */
  protected warning(message: string): void {
    this.warnings.push(message)
    if (!this.jsonEnabled()) currentIo().stderr.write(`${this.color ? '\u001B[33mWarning:\u001B[39m' : 'Warning:'} ${forTerminal(message)}\n`)
  }

  /** The items a --skip-failing batch left out: each a warning with its reason, and the command exits 1. */
  protected reportSkipped(failures: ItemFailure[]): SkippedItem[] {
    for (const f of failures) this.warning(`${f.key} skipped: ${f.error.message}`)
    if (failures.length) this.exitStatus = ExitCode.FAILURE
    return failures.map((f) => ({ item: f.key, kind: f.error.kind, message: f.error.message }))
  }

  /** A warning that several units of work may each raise (a fleet, a command working in steps), given once. */
  protected warnOnce(message: string): void {
    if (!this.warnings.includes(message)) this.warning(message)
  }

  /** Render rows with the shared list flags (--columns, --sort, --filter, --output...). */
  protected printList<R extends object>(rows: R[], columns: Column<R>[], empty: string): void {
    if (this.jsonEnabled()) return
    const options = listOptionsFrom(this.flags as Record<string, unknown>, this.color)
    const text = this.render.renderList(rows, columns, options)
    if (text) this.log(text.replace(/\n$/, ''))
    else if (options.output === 'table') this.note(empty)
  }

  protected printRecord(record: Record<string, unknown>): void {
    if (!this.jsonEnabled()) this.log(this.render.renderRecord(record, { color: this.color }))
  }

  private get render(): typeof Render {
    if (!this.renderer) throw new Error('erp: the renderer is loaded in init(), which has not run')
    return this.renderer
  }

  /**
   * The envelope as plain JSON. oclif's own logJson colourises by tokenizing the whole document
   * with regular expressions, slicing the string once per token: quadratic, and hundreds of MB and
   * tens of seconds for a report of 100,000 lines. Colour is kept for a terminal and small results.
   */
  public override logJson(json: unknown): void {
    if (json === NOTHING) return
    const raw = JSON.stringify(json, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2)
    // JSON.stringify escapes C0 controls (ESC as \u001b); C1 controls and bidi overrides it leaves raw.
    const text = escapeJsonForTerminal(raw)
    const { stdout } = currentIo()
    const colored = stdout.isTTY && this.color && text.length < 1_000_000 && text === raw
    stdout.write(`${colored ? ux.colorizeJson(json, { pretty: true, theme: this.config.theme?.json }) : text}\n`)
  }

  protected override toSuccessJson(result: unknown): unknown {
    const envelope: JsonEnvelope<unknown> = { status: this.exitStatus, result, warnings: cutStrings(this.warnings) }
    return this.query ? this.applyQuery(envelope) : envelope
  }

  /**
   * --query: the expression's value over the result as --json shows it (dates as ISO strings), alone
   * on stdout; the warnings, which lose their envelope, on stderr. An expression that fails on the
   * result (a function given the wrong type) is a usage error: nothing on stdout, exit 2.
   */
  private applyQuery(envelope: JsonEnvelope<unknown>): unknown {
    const { stderr } = currentIo()
    for (const message of envelope.warnings) stderr.write(`Warning: ${forTerminal(message)}\n`)
    const data = JSON.parse(JSON.stringify(envelope.result ?? null, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)))
    try {
      return this.query!.search(data as never, this.query!.expression)
    } catch (err) {
      stderr.write(`Error: --query ${forTerminal(this.query!.expression)} failed on the result: ${forTerminal((err as Error).message)}\n`)
      stderr.write('  → The command itself ran; check the expression against its --json output (result).\n')
      currentIo().setExitCode(ExitCode.USAGE)
      return NOTHING
    }
  }

  /**
   * Errors quote what they were given (a CSV cell, a flag, a database value): every message, action
   * and data string is cut to lines of MAX_MESSAGE_LINE characters here, for both outputs, and the
   * terminal gets control characters made visible (JSON escapes them).
   */
  public override async catch(err: Error & { oclif?: { exit?: number } }): Promise<void> {
    const error = normaliseError(err)
    const exitCode = exitCodeOf(error)
    const io = currentIo()
    io.setExitCode(exitCode)
    if (this.jsonEnabled()) {
      const envelope: JsonEnvelope<never> = cutStrings({
        status: exitCode,
        warnings: this.warnings,
        error: { name: error.name, message: error.message, kind: error.kind, actions: error.actions, data: error.data },
      })
      this.logJson(envelope)
      return
    }
    const red = (s: string) => (this.color ? `\u001B[31m${s}\u001B[39m` : s)
    io.stderr.write(`${red('Error:')} ${forTerminal(error.message)}\n`)
    for (const action of error.actions) io.stderr.write(`  → ${forTerminal(action)}\n`)
    if (process.env.ERP_DEBUG) io.stderr.write(`${forTerminal((err as Error).stack ?? '')}\n`)
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    try {
      if (!err && this.exitStatus !== ExitCode.OK) currentIo().setExitCode(this.exitStatus)
      if ((this.ctor as typeof BaseCommand).audited && this.database) await this.writeAudit(err)
    } finally {
      await this.database?.close()
      await super.finally(err)
    }
  }

  private async writeAudit(err: Error | undefined): Promise<void> {
    const { recordAudit } = await import('../audit/audit.js')
    const exitCode = err ? exitCodeOf(normaliseError(err)) : this.exitStatus
    try {
      await recordAudit(this.database!.knex, {
        profile: this.database!.profile,
        tenant: this.auditTenant,
        command: (this.id ?? 'unknown').replaceAll(':', ' '),
        args: { args: this.args ?? {}, ...(this.ctor.strict === false ? { argv: this.positionals } : {}), flags: this.flags ?? {}, ...this.auditDetails },
        outcome: exitCode === ExitCode.OK ? 'ok' : 'error',
        exitCode,
        error: err?.message,
        durationMs: performance.now() - this.startedAt,
      })
    } catch (auditErr) {
      this.warning(`Could not write the audit record: ${(auditErr as Error).message}`)
    }
  }
}

/** What toSuccessJson gives when --query failed: logJson prints nothing. */
const NOTHING = Symbol('nothing to print')

/** --query's expression parsed now, so a bad one is a usage error before the command does anything. */
async function compileQuery(expression: string): Promise<{ expression: string; search: (data: never, expression: string) => unknown }> {
  const jmespath = await import('@jmespath-community/jmespath')
  try {
    jmespath.compile(expression)
  } catch (err) {
    throw new ErpError(ErrorKind.USAGE, `Invalid --query ${JSON.stringify(expression)}: ${(err as Error).message}`, {
      actions: ['Write a JMESPath expression (jmespath.org), e.g. --query "items[].sku" or --query "items[?active].{sku: sku, name: name}".'],
      cause: err,
    })
  }
  return { expression, search: jmespath.search as (data: never, expression: string) => unknown }
}

/** One line as oclif's ux.stdout/ux.stderr write it (util.format of the message and its arguments). */
function writeLine(stream: IoWritable, message: unknown, args: unknown[]): void {
  stream.write(`${format(typeof message === 'string' ? message : inspect(message), ...args)}\n`)
}

/** Any error as an ErpError: oclif's parse errors are usage errors, driver errors get a kind. */
function normaliseError(err: Error & { oclif?: { exit?: number }; code?: string }): ErpError {
  const translated = translateDbError(err)
  if (isErpError(translated)) return translated
  if (err.oclif?.exit === 2 || err.name === 'CLIError' && /flag|argument|Unexpected/i.test(err.message)) {
    return new ErpError(ErrorKind.USAGE, err.message, { actions: ['See --help for the flags this command takes.'], cause: err })
  }
  if (err.code === 'ENOENT') return new ErpError(ErrorKind.FILE_NOT_FOUND, err.message, { cause: err })
  return new ErpError(ErrorKind.FAILED, err.message, { cause: err })
}
