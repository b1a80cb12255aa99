import { Flags } from '@oclif/core'

import { BaseCommand } from '../../lib/cli/base-command.js'
import { ExitCode } from '../../lib/cli/exit-codes.js'
import { allTenantsFlag, concurrencyFlag, durationFlag, tenantFlag } from '../../lib/cli/flags.js'
import { listFlags } from '../../lib/cli/list-flags.js'
import { ROLLOUT_COLUMNS, type TenantMigrationRow } from '../../lib/cli/migration-columns.js'
import { migrateRegistry } from '../../lib/db/registry.js'
import { DEFAULT_LIMITS } from '../../lib/tenants/migrate.js'
import { migrateLatest, ROLLOUT_DEFAULTS, type RunStatus } from '../../lib/tenants/rollout.js'

export interface MigrateLatestResult {
  registry?: string[]
  /** The recorded run (fleet runs only): see erp migrate runs show <id>. */
  runId?: number
  runStatus?: RunStatus
  stopReason?: string
  resumedFrom?: number
  /** Every tenant covered: those with nothing pending show as ok with nothing applied. */
  tenants: TenantMigrationRow[]
  /** Tenants this run applied migrations to (not those another run migrated first). */
  migrated: number
  failed: number
  lockTimedOut: number
  notReached: number
  upToDate: number
}

export default class MigrateLatest extends BaseCommand<typeof MigrateLatest> {
  static summary = 'Apply pending migrations to one tenant, all tenants (in waves), or the registry'
  static description =
    'Each tenant migrates in its own transaction under a per-tenant advisory lock, with lock_timeout and ' +
    'statement_timeout set, so concurrent runs are safe and a busy tenant cannot block its users for long. ' +
    'One status query decides which tenants have anything pending; the others are not touched. ' +
    'A tenant whose lock times out is retried later in the same run (--lock-attempts). ' +
    'With --canary N the first N tenants go first and any failure among them stops the rollout; --wave N ' +
    'migrates the rest N at a time; --max-failures N stops dispatching once more than N tenants failed. ' +
    'Fleet runs are recorded (erp migrate runs), each tenant in the transaction that migrates it, so the record ' +
    'is exact even after a kill: --retry-failed and --continue pick up from the latest run. A tenant another ' +
    'run migrated first counts as up to date for this one (its record names that run), never as migrated twice. ' +
    'The exit code is 1 if any tenant failed, timed out on its lock, or was not reached.'
  static examples = [
    '<%= config.bin %> <%= command.id %> --tenant acme',
    '<%= config.bin %> <%= command.id %> --all-tenants --canary 5 --wave 100 --max-failures 3',
    '<%= config.bin %> <%= command.id %> --all-tenants --lock-timeout 2s --statement-timeout 30m',
    '<%= config.bin %> <%= command.id %> --retry-failed --continue',
    '<%= config.bin %> <%= command.id %> --registry',
  ]
  static audited = true
  static flags = {
    ...listFlags,
    tenant: tenantFlag,
    'all-tenants': allTenantsFlag,
    registry: Flags.boolean({
      description: "Migrate the registry schema (erp's own tables)",
      exclusive: ['tenant', 'all-tenants', 'retry-failed', 'continue'],
    }),
    concurrency: concurrencyFlag,
    canary: Flags.integer({ description: 'Migrate this many tenants first; stop if any of them fails', default: 0, min: 0 }),
    wave: Flags.integer({ description: 'Tenants per wave after the canary (0: all at once)', default: 0, min: 0 }),
    'max-failures': Flags.integer({ description: 'Stop the rollout once more than this many tenants failed', min: 0 }),
    'lock-timeout': durationFlag({ description: 'lock_timeout of each tenant migration (e.g. 5s)', default: DEFAULT_LIMITS.lockTimeoutMs }),
    'statement-timeout': durationFlag({
      description: 'statement_timeout of each tenant migration (e.g. 15m)',
      default: DEFAULT_LIMITS.statementTimeoutMs,
    }),
    'lock-attempts': Flags.integer({
      description: 'Attempts per tenant when its lock times out (retried later in the run)',
      default: ROLLOUT_DEFAULTS.lockAttempts,
      min: 1,
    }),
    'retry-delay': durationFlag({ description: 'Pause before retrying lock-timed-out tenants (grows per round)', default: ROLLOUT_DEFAULTS.retryDelayMs }),
    'retry-failed': Flags.boolean({ description: 'Migrate the tenants that failed in the latest recorded run', exclusive: ['tenant', 'all-tenants'] }),
    continue: Flags.boolean({ description: 'Migrate the tenants the latest recorded run did not reach', exclusive: ['tenant', 'all-tenants'] }),
  }

  async run(): Promise<MigrateLatestResult> {
    const { flags } = this
    const db = await this.db({ poolMax: flags.concurrency + 2 }) // + the run's lock and its record
    if (flags.registry) {
      const outcome = await migrateRegistry(db.knex)
      this.log(outcome.applied.length ? `Registry: applied ${outcome.applied.join(', ')}` : 'Registry is up to date.')
      return { registry: outcome.applied, tenants: [], migrated: 0, failed: 0, lockTimedOut: 0, notReached: 0, upToDate: 0 }
    }
    const resume = flags['retry-failed'] || flags.continue
    const progress = await this.progress('Migrating tenants')
    const result = await migrateLatest(
      db,
      {
        tenant: flags['all-tenants'] || resume ? undefined : await this.tenantSlug(flags.tenant),
        all: flags['all-tenants'],
        retryFailed: flags['retry-failed'],
        continue: flags.continue,
      },
      {
        concurrency: flags.concurrency,
        canary: flags.canary,
        wave: flags.wave,
        maxFailures: flags['max-failures'],
        limits: { lockTimeoutMs: flags['lock-timeout'], statementTimeoutMs: flags['statement-timeout'] },
        lockAttempts: flags['lock-attempts'],
        retryDelayMs: flags['retry-delay'],
        onTenantDone: (item, n, total) => progress.update(`Migrating tenants: ${n}/${total} (${item.tenant} ${item.state})`),
      },
    )
    progress.stop()
    const worked: TenantMigrationRow[] = result.items.map((i) => ({
      tenant: i.tenant,
      // up_to_date: pending when the run started, migrated by another run first (doneBy).
      status: i.state === 'succeeded' || i.state === 'up_to_date' ? 'ok' : i.state,
      applied: i.applied,
      doneBy: i.doneBy,
      error: i.error,
      durationMs: i.durationMs,
      wave: i.wave,
      attempts: i.attempts,
      lockTimeouts: i.lockTimeouts,
    }))
    const upToDate: TenantMigrationRow[] = result.upToDate.map((tenant) => ({ tenant, status: 'ok', applied: [], durationMs: 0 }))
    const { counts } = result
    if (counts.failed + counts.lock_timeout + counts.not_reached > 0) this.exitStatus = ExitCode.FAILURE
    this.printList(worked, ROLLOUT_COLUMNS, 'No tenant had anything pending.')
    const run = result.runId === undefined ? '' : `Run ${result.runId} ${result.status}. `
    const byOthers = [...new Set(result.items.flatMap((i) => (i.doneBy === undefined ? [] : [i.doneBy])))]
    const others = byOthers.length ? ` (some migrated by run ${byOthers.join(', ')})` : ''
    this.note(
      `${run}${counts.succeeded} migrated by this run, ${counts.up_to_date} already up to date${others}, ${counts.failed} failed, ` +
        `${counts.lock_timeout} lock-timed-out, ${counts.not_reached} not reached.`,
    )
    if (result.stopReason) this.warning(`Rollout stopped: ${result.stopReason}. Pick up with --retry-failed and/or --continue.`)
    return {
      runId: result.runId,
      runStatus: result.runId === undefined ? undefined : result.status,
      stopReason: result.stopReason,
      resumedFrom: result.resumedFrom,
      tenants: [...worked, ...upToDate],
      migrated: counts.succeeded,
      failed: counts.failed,
      lockTimedOut: counts.lock_timeout,
      notReached: counts.not_reached,
      upToDate: counts.up_to_date,
    }
  }
}
