import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'

import { configDir } from '../paths.js'

/**
 * What shell completion offers for `--tenant`, `--profile` and `--warehouse` (and the commands
 * whose first argument is one of those): names erp has seen, in a small file the completion
 * functions read with a shell loop, so a <TAB> never starts Node. Lines of
 * `kind<TAB>value[<TAB>tenant]` (a warehouse code belongs to a tenant). It holds names only,
 * never a URL, a user or a secret. Written when tenants list/create, auth login/logout/list and
 * warehouses list/create run; completion is a convenience, so a write that fails is ignored.
 */

export type CompletionKind = 'tenant' | 'profile' | 'warehouse'

export interface CompletionUpdate {
  /** Every tenant the connection sees (tenants list): replaces the tenants. */
  tenants?: string[]
  /** Tenants to add (tenants create). */
  addTenants?: string[]
  /** Every stored profile: replaces the profiles. */
  profiles?: string[]
  /** Every warehouse of one tenant: replaces that tenant's codes. */
  warehouses?: { tenant: string; codes: string[] }
  /** Warehouses to add to one tenant's codes. */
  addWarehouses?: { tenant: string; codes: string[] }
}

/**
 * What a value may look like to be cached, and to be offered by the shell functions (which check
 * again): slugs, profile names and warehouse codes all fit; nothing a shell would expand does.
 */
export const COMPLETION_VALUE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

export const completionCacheFile = () => path.join(configDir(), 'completion-cache.tsv')

interface Entry { kind: CompletionKind; value: string; tenant: string }

export function parseCompletionCache(text: string): Entry[] {
  const entries: Entry[] = []
  for (const line of text.split('\n')) {
    const [kind, value, tenant = ''] = line.split('\t')
    if (!['tenant', 'profile', 'warehouse'].includes(kind) || !COMPLETION_VALUE.test(value ?? '')) continue
    if (kind === 'warehouse' && !COMPLETION_VALUE.test(tenant)) continue
    entries.push({ kind: kind as CompletionKind, value, tenant: kind === 'warehouse' ? tenant : '' })
  }
  return entries
}

/** The cache with `update` applied, sorted, one line per entry. */
export function applyCompletionUpdate(entries: Entry[], update: CompletionUpdate): string {
  let next = entries
  const keep = (kind: CompletionKind, values: string[] = [], tenant = '') =>
    values.filter((v) => COMPLETION_VALUE.test(v) && (kind !== 'warehouse' || COMPLETION_VALUE.test(tenant))).map((value) => ({ kind, value, tenant }))
  if (update.tenants) next = [...next.filter((e) => e.kind !== 'tenant'), ...keep('tenant', update.tenants)]
  if (update.addTenants) next = [...next, ...keep('tenant', update.addTenants)]
  if (update.profiles) next = [...next.filter((e) => e.kind !== 'profile'), ...keep('profile', update.profiles)]
  if (update.warehouses) {
    const { tenant, codes } = update.warehouses
    next = [...next.filter((e) => !(e.kind === 'warehouse' && e.tenant === tenant)), ...keep('warehouse', codes, tenant)]
  }
  if (update.addWarehouses) next = [...next, ...keep('warehouse', update.addWarehouses.codes, update.addWarehouses.tenant)]
  const lines = new Set(next.map((e) => (e.kind === 'warehouse' ? `${e.kind}\t${e.value}\t${e.tenant}` : `${e.kind}\t${e.value}`)))
  return [...lines].sort().map((l) => `${l}\n`).join('')
}

/** Apply the update to the cache file (0600, written whole and renamed into place). Never throws. */
export async function rememberForCompletion(update: CompletionUpdate): Promise<void> {
  const file = completionCacheFile()
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const current = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return ''
      throw err
    })
    const text = applyCompletionUpdate(parseCompletionCache(current), update)
    if (text === current) return
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
    await fs.writeFile(temp, text, { mode: 0o600, flag: 'wx' })
    await fs.rename(temp, file)
  } catch {
    // Completion offers names erp saw; failing to note one must not fail the command.
    await fs.rm(temp, { force: true }).catch(() => undefined)
  }
}
