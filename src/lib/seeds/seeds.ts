import type { Knex } from 'knex'

import { usageError } from '../errors.js'
import type { Db } from '../db/connect.js'
import { enterTenant } from '../db/tenant-scope.js'
import { createTenant, type CreatedTenant, type CreateTenantInput } from '../tenants/provision.js'
import { seedDemo, type SeedCount } from './demo.js'

/** Seeds by name. Each fills a tenant deterministically and idempotently (see demo.ts). */
export type SeedName = 'demo'

export const SEEDS: Record<SeedName, typeof seedDemo> = {
  demo: seedDemo,
}
export const SEED_NAMES = Object.keys(SEEDS) as SeedName[]

export interface SeedOptions {
  /** The PRNG seed: same value, same data. */
  randomSeed?: number
  /** Run, count, and roll back. */
  dryRun?: boolean
}

export interface SeedResult {
  seed: SeedName
  randomSeed: number
  dryRun: boolean
  tables: SeedCount[]
  inserted: number
  updated: number
}

export function checkSeedName(name: string): SeedName {
  if (!(SEED_NAMES as string[]).includes(name)) {
    throw usageError(`Unknown seed "${name}". Seeds: ${SEED_NAMES.join(', ')}`, { data: { seed: name, seeds: SEED_NAMES } })
  }
  return name as SeedName
}

/** Run a seed inside the caller's tenant-scoped transaction. */
export async function runSeed(trx: Knex.Transaction, name: string, options: SeedOptions = {}): Promise<SeedResult> {
  const seed = checkSeedName(name)
  const randomSeed = options.randomSeed ?? 1
  if (options.dryRun) await trx.raw('savepoint seed_dry_run')
  const tables = await SEEDS[seed](trx, { randomSeed })
  if (options.dryRun) await trx.raw('rollback to savepoint seed_dry_run')
  return {
    seed, randomSeed, dryRun: options.dryRun === true, tables,
    inserted: tables.reduce((a, t) => a + t.inserted, 0),
    updated: tables.reduce((a, t) => a + t.updated, 0),
  }
}

/**
 * Provision a tenant and, when `seed` is given, seed it in the same transaction (as the tenant's
 * role, in its schema): a failed seed leaves no tenant behind.
 */
export async function createSeededTenant(
  db: Db,
  input: CreateTenantInput,
  seed?: { name: string } & SeedOptions,
): Promise<CreatedTenant & { seed?: SeedResult }> {
  if (!seed) return createTenant(db, input)
  checkSeedName(seed.name)
  let result: SeedResult | undefined
  const tenant = await createTenant(db, input, async (trx, created) => {
    await enterTenant(trx, db.scope, created)
    result = await runSeed(trx, seed.name, seed)
    await trx.raw('reset role')
  })
  return { ...tenant, seed: result }
}
