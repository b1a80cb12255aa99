import path from 'node:path'

import { ErrorKind, isErpError } from '../errors.js'
import { isEncryptedArchive, peekArchive, readArchive } from './archive.js'
import { STAGING_MARK } from './create.js'
import { ARCHIVE_SUFFIX, PARTIAL_SUFFIX, type Manifest } from './format.js'
import { DECRYPT_KEY_ENV, ENCRYPTED_SUFFIX, loadDecryptionKey, type DecryptionKey } from './encryption.js'
import { parseLocation, type ArchiveLocation } from './store.js'

/**
 * How far an archive was checked: 'whole' = manifest and trailer present; 'verified' = every
 * checksum; 'encrypted' = an encrypted archive, not looked into (no decryption key on this host).
 */
export type ArchiveCheckState = 'verified' | 'whole' | 'damaged' | 'partial' | 'encrypted'

export interface ArchiveInfo {
  file: string
  tenant: string | null
  createdAt: string | null
  bytes: number
  tables: number | null
  rows: number | null
  /** The newest tenant migration in the archive. */
  version: string | null
  check: ArchiveCheckState
  problem?: string
}

/** Leftovers of killed backups older than this are removed by prune. */
const STALE_MS = 24 * 3600 * 1000

/**
 * The archives in a folder, newest first. By default each is looked at cheaply (manifest and
 * trailer); `verify` reads every byte and checks every checksum.
 */
export async function listArchives(dir: string, options: { verify?: boolean; decryptionKey?: DecryptionKey } = {}): Promise<ArchiveInfo[]> {
  const key = options.decryptionKey ?? (await envKey())
  const location = parseLocation(dir, '--dir')
  const infos: ArchiveInfo[] = []
  for (const entry of await location.list()) {
    if (entry.directory) continue
    const file = location.nameOf(entry.name)
    if (entry.name.endsWith(ARCHIVE_SUFFIX + PARTIAL_SUFFIX) || entry.name.endsWith(ARCHIVE_SUFFIX + ENCRYPTED_SUFFIX + PARTIAL_SUFFIX)) {
      infos.push({ file, tenant: tenantFromName(entry.name), createdAt: null, bytes: entry.bytes, tables: null, rows: null, version: null, check: 'partial', problem: 'unfinished (a backup running now, or killed)' })
    } else if (entry.name.endsWith(ARCHIVE_SUFFIX) || entry.name.endsWith(ARCHIVE_SUFFIX + ENCRYPTED_SUFFIX)) {
      infos.push(await inspect(file, entry.bytes, options.verify ?? false, key))
    }
  }
  return infos.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.file.localeCompare(b.file))
}

/** ERP_BACKUP_DECRYPT_KEY or the key stored on this host, read once per listing. */
const envKey = () => loadDecryptionKey()

async function inspect(file: string, listedBytes: number, verify: boolean, key: DecryptionKey | undefined): Promise<ArchiveInfo> {
  try {
    if (!key && (await isEncryptedArchive(file))) {
      return { file, tenant: tenantFromName(path.basename(file)), createdAt: createdFromName(path.basename(file)), bytes: listedBytes, tables: null, rows: null, version: null, check: 'encrypted' }
    }
    if (verify) {
      const { manifest, bytes } = await readArchive(file, {}, { decryptionKey: key })
      return describe(file, manifest, bytes, 'verified')
    }
    const { manifest, whole, bytes } = await peekArchive(file, key)
    return { ...describe(file, manifest, bytes, whole ? 'whole' : 'damaged'), ...(whole ? {} : { problem: 'no trailer: the file was cut short' }) }
  } catch (err) {
    if (!isErpError(err) || err.kind !== ErrorKind.INVALID_DATA) throw err
    return { file, tenant: tenantFromName(path.basename(file)), createdAt: null, bytes: listedBytes, tables: null, rows: null, version: null, check: 'damaged', problem: err.message }
  }
}

function describe(file: string, manifest: Manifest, bytes: number, check: ArchiveCheckState): ArchiveInfo {
  return {
    file,
    tenant: manifest.tenant.slug,
    createdAt: manifest.createdAt,
    bytes,
    tables: manifest.totals.tables,
    rows: manifest.totals.rows,
    version: manifest.migrations.version,
    check,
  }
}

function tenantFromName(name: string): string | null {
  return /^([a-z][a-z0-9_]*)-/.exec(name)?.[1] ?? null
}

/** `acme-20261125T030000.123Z.erp.tar.gpg` -> 2026-11-25T03:00:00.123Z (archiveFileName's stamp). */
function createdFromName(name: string): string | null {
  const m = /-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z\.erp\.tar/.exec(name)
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z` : null
}

// ---- prune ------------------------------------------------------------------------------------

export interface RetentionPolicy {
  daily: number
  weekly: number
  monthly: number
}

export type KeepReason = 'daily' | 'weekly' | 'monthly' | 'newest good'

/**
 * Which archives of ONE tenant a policy keeps, with why. Like restic's and borg's --keep-*: for
 * each of the last N days (ISO weeks, months, in UTC) that have archives, the newest archive of that
 * period. Archives must come newest first.
 */
export function retention(createdAt: Date[], policy: RetentionPolicy): Map<number, KeepReason[]> {
  const keep = new Map<number, KeepReason[]>()
  const rule = (reason: KeepReason, count: number, period: (d: Date) => string) => {
    const seen = new Set<string>()
    createdAt.forEach((date, i) => {
      const key = period(date)
      if (seen.has(key) || seen.size >= count) return
      seen.add(key)
      keep.set(i, [...(keep.get(i) ?? []), reason])
    })
  }
  rule('daily', policy.daily, (d) => d.toISOString().slice(0, 10))
  rule('weekly', policy.weekly, isoWeek)
  rule('monthly', policy.monthly, (d) => d.toISOString().slice(0, 7))
  return keep
}

/** ISO 8601 week of a UTC date, e.g. 2026-W48. */
export function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
  const day = d.getUTCDay() || 7
  d.setUTCDate(d.getUTCDate() + 4 - day)
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1)
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7)
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`
}

export interface PruneEntry {
  file: string
  tenant: string | null
  createdAt: string | null
  bytes: number
  action: 'keep' | 'delete' | 'leave'
  /** Why kept (rules), or why left alone (damaged archive). */
  reasons: string[]
}

export interface PruneResult {
  dryRun: boolean
  entries: PruneEntry[]
  deleted: number
  kept: number
  /** Bytes freed (or that would be, in a dry run). */
  freedBytes: number
}

/**
 * Apply a retention policy to a folder of archives, per tenant. The newest archive of each tenant
 * that passes a full verification is always kept, whatever the policy; archives found damaged are
 * never counted as kept copies and are left alone for the operator to look at. Leftovers of killed
 * backups (`.partial` files, staging folders) older than a day are removed.
 */
export async function pruneArchives(dir: string, policy: RetentionPolicy, options: { dryRun?: boolean; decryptionKey?: DecryptionKey } = {}): Promise<PruneResult> {
  const dryRun = options.dryRun ?? false
  const location = parseLocation(dir, '--dir')
  const key = options.decryptionKey ?? (await envKey())
  const archives = (await listArchives(dir, { decryptionKey: key })).filter((a) => a.check !== 'partial')
  const byTenant = new Map<string, ArchiveInfo[]>()
  const entries: PruneEntry[] = []
  for (const a of archives) {
    if (a.check === 'encrypted') {
      // Without its key erp cannot tell a good one from a damaged one, nor which one it may delete.
      entries.push({ file: a.file, tenant: a.tenant, createdAt: a.createdAt, bytes: a.bytes, action: 'leave', reasons: [`encrypted: give its key (${DECRYPT_KEY_ENV}, or erp backup decrypt-key import) to check and prune it`] })
      continue
    }
    if (a.check === 'damaged' || !a.tenant || !a.createdAt) {
      entries.push({ file: a.file, tenant: a.tenant, createdAt: a.createdAt, bytes: a.bytes, action: 'leave', reasons: [`damaged: ${a.problem ?? 'unreadable'}`] })
      continue
    }
    if (!byTenant.has(a.tenant)) byTenant.set(a.tenant, [])
    byTenant.get(a.tenant)!.push(a)
  }
  for (const list of byTenant.values()) {
    // Newest first; the newest one that verifies is kept no matter what.
    const good: ArchiveInfo[] = []
    let newestGood: ArchiveInfo | undefined
    for (const a of list) {
      if (!newestGood) {
        try {
          await readArchive(a.file, {}, { decryptionKey: key })
          newestGood = a
        } catch (err) {
          if (!isErpError(err) || err.kind !== ErrorKind.INVALID_DATA) throw err
          entries.push({ file: a.file, tenant: a.tenant, createdAt: a.createdAt, bytes: a.bytes, action: 'leave', reasons: [`damaged: ${err.message}`] })
          continue
        }
      }
      good.push(a)
    }
    const keep = retention(good.map((a) => new Date(a.createdAt!)), policy)
    good.forEach((a, i) => {
      const reasons: string[] = [...(keep.get(i) ?? [])]
      if (a === newestGood) reasons.unshift('newest good')
      entries.push({ file: a.file, tenant: a.tenant, createdAt: a.createdAt, bytes: a.bytes, action: reasons.length ? 'keep' : 'delete', reasons })
    })
  }
  const names = new Map<string, string>()
  for (const stale of await staleLeftovers(location)) {
    names.set(location.nameOf(stale.name), stale.name)
    entries.push({ file: location.nameOf(stale.name), tenant: tenantFromName(stale.name.replace(/^\./, '')), createdAt: null, bytes: stale.bytes, action: 'delete', reasons: ['leftover of an unfinished backup'] })
  }
  if (!dryRun) {
    for (const e of entries) {
      if (e.action === 'delete') await location.remove(names.get(e.file) ?? path.basename(e.file))
    }
  }
  entries.sort((a, b) => (a.tenant ?? '').localeCompare(b.tenant ?? '') || (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))
  const deleted = entries.filter((e) => e.action === 'delete')
  return {
    dryRun,
    entries,
    deleted: deleted.length,
    kept: entries.filter((e) => e.action === 'keep').length,
    freedBytes: deleted.reduce((n, e) => n + e.bytes, 0),
  }
}

async function staleLeftovers(location: ArchiveLocation): Promise<Array<{ name: string; bytes: number }>> {
  const now = Date.now()
  const out: Array<{ name: string; bytes: number }> = []
  for (const entry of await location.list()) {
    const isPartial = !entry.directory && (entry.name.endsWith(ARCHIVE_SUFFIX + PARTIAL_SUFFIX) || entry.name.endsWith(ARCHIVE_SUFFIX + ENCRYPTED_SUFFIX + PARTIAL_SUFFIX))
    const isStaging = entry.directory && entry.name.startsWith('.') && entry.name.includes(STAGING_MARK)
    if (!isPartial && !isStaging) continue
    if (now - entry.modifiedMs > STALE_MS) out.push({ name: entry.name, bytes: isPartial ? entry.bytes : 0 })
  }
  return out
}
