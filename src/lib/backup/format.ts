/**
 * The erp backup archive: a plain (uncompressed) tar, so `tar tvf` can look inside, whose entries are
 *
 *   manifest.json          what the archive holds: tenant, versions, time, per-table rows and checksums
 *   SIGNATURE              (format 2, when signed) HMAC-SHA-256 of the manifest under the registry's key
 *   schema.json            the schema's DDL as ordered statements, free of schema and role names
 *   data/0001.copy.gz ...  one entry per table: its COPY text-format data, gzip-compressed
 *   SHA256SUM              the trailer: sha256 of every archive byte before it
 *
 * The trailer is always the last entry and has a fixed size, so it sits at a known offset from the
 * end of the file: a truncated archive has none, an altered one has a digest that does not match.
 * Entry names are short ASCII, so every header is a single 512-byte ustar block (no pax records) and
 * entry offsets can be computed from sizes alone.
 */

export const ARCHIVE_FORMAT = 'erp-backup'
/** 2 adds the SIGNATURE entry; archives of format 1 read as unsigned. */
export const FORMAT_VERSION = 2
export const ARCHIVE_SUFFIX = '.erp.tar'
export const PARTIAL_SUFFIX = '.partial'

export const MANIFEST_ENTRY = 'manifest.json'
export const SCHEMA_ENTRY = 'schema.json'
export const TRAILER_ENTRY = 'SHA256SUM'
export const dataEntryName = (index: number) => `data/${String(index + 1).padStart(4, '0')}.copy.gz`

export const BLOCK = 512
/** tar's end-of-archive marker: two zero blocks. */
export const END_OF_ARCHIVE = 2 * BLOCK
/** The trailer: 64 hex digits and a newline. */
export const TRAILER_SIZE = 65
/** Bytes a tar entry of `size` bytes takes: header block plus data padded to whole blocks. */
export const entryBytes = (size: number) => BLOCK + Math.ceil(size / BLOCK) * BLOCK
/** From the trailer's header to the end of the file. */
export const TRAILER_TAIL = entryBytes(TRAILER_SIZE) + END_OF_ARCHIVE

export interface ManifestTable {
  /** Table name inside the tenant schema. */
  name: string
  /** The archive entry holding its data. */
  entry: string
  /** Columns in the COPY data, in order (generated columns are left out: the server computes them). */
  columns: string[]
  rows: number
  /** Uncompressed COPY data: size and sha256. */
  bytes: number
  sha256: string
  /** Size of the compressed entry. */
  compressedBytes: number
  /**
   * sha256 of the compressed entry (erp 0.1+; absent in older archives). Readers check the
   * uncompressed data's sha256 and row count, which cover it; it is kept for tools that look at an
   * entry without decompressing it.
   */
  compressedSha256?: string
}

export interface Manifest {
  format: typeof ARCHIVE_FORMAT
  formatVersion: number
  tenant: {
    slug: string
    name: string
    plan: string | null
    status: string
    schema: string
    ownerRole: string
    loginRole: string
  }
  /** Tenant migrations applied when the backup was taken; the newest is the schema's version. */
  migrations: { applied: string[]; version: string | null }
  server: { version: string; versionNum: number }
  tool: { name: string; version: string }
  /** The snapshot's time (the backup transaction's now()). */
  createdAt: string
  compression: 'gzip'
  /**
   * The session settings COPY's text output was written under (erp 0.1+ pins them: COPY_SETTINGS);
   * absent in older archives, whose data was written under the server's defaults.
   */
  copySettings?: CopySettings
  schema: { entry: string; sha256: string; bytes: number; statements: number }
  tables: ManifestTable[]
  totals: { tables: number; rows: number; bytes: number }
}

export interface CopySettings {
  timeZone: string
  dateStyle: string
  intervalStyle: string
  extraFloatDigits: number
}

export const COPY_SETTINGS: CopySettings = { timeZone: 'UTC', dateStyle: 'ISO, YMD', intervalStyle: 'postgres', extraFloatDigits: 3 }

/** `acme-20261125T030000.123Z.erp.tar`: sortable, one tenant's archives side by side. */
export function archiveFileName(slug: string, createdAt: Date): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '')
  return `${slug}-${stamp}${ARCHIVE_SUFFIX}`
}

/** Where archives go when no folder is given: ERP_BACKUP_DIR, or `backups` in erp's data folder. */
export async function defaultBackupDir(): Promise<string> {
  if (process.env.ERP_BACKUP_DIR) return process.env.ERP_BACKUP_DIR
  const { dataDir } = await import('../paths.js')
  return `${dataDir()}/backups`
}
