import type { Column } from '../render.js'
import type { ArchiveInfo, PruneEntry } from '../../backup/catalog.js'

/** 1536 -> '1.5 KB': sizes as an operator reads them. */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

const base = (file: string) => file.slice(file.lastIndexOf('/') + 1)

export const ARCHIVE_COLUMNS: Column<ArchiveInfo>[] = [
  { key: 'tenant' },
  { key: 'createdAt' },
  { key: 'size', get: (a) => humanBytes(a.bytes), align: 'right' },
  { key: 'rows', align: 'right' },
  { key: 'tables', align: 'right' },
  { key: 'version' },
  { key: 'check' },
  { key: 'file', get: (a) => base(a.file) },
  { key: 'problem' },
]

export const PRUNE_COLUMNS: Column<PruneEntry>[] = [
  { key: 'tenant' },
  { key: 'createdAt' },
  { key: 'action' },
  { key: 'reasons', get: (e) => e.reasons.join(', ') },
  { key: 'size', get: (e) => humanBytes(e.bytes), align: 'right' },
  { key: 'file', get: (e) => base(e.file) },
]
