import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import zlib from 'node:zlib'
import tar from 'tar-stream'

import { sha256, writeArchive, type DataFile } from '../../src/lib/backup/archive.js'
import type { SchemaDoc } from '../../src/lib/backup/ddl.js'
import type { Manifest, ManifestTable } from '../../src/lib/backup/format.js'
import { decodeSignature, signManifest, type ArchiveSignature, type RegistryKey } from '../../src/lib/backup/signature.js'
import { runCli } from './cli.js'
import { adminQuery } from './database.js'

/**
 * The registry's backup signing key, exported through the CLI as an operator would hand it to
 * another backup host: what an attacker who stole it signs crafted archives with.
 */
export async function registrySigningKey(): Promise<RegistryKey> {
  const exported = await runCli(['backup', 'key', 'export', '--stdout'])
  if (exported.code !== 0) throw new Error(`backup key export failed: ${exported.stderr}`)
  const { rows } = await adminQuery('select id::text as id from erp.registry_info')
  return { registry: rows[0].id, key: Buffer.from(exported.stdout.trim(), 'base64') }
}

export interface CraftOptions {
  /** Change schema.json (any JSON: crafted archives need not be SchemaDocs). */
  schema?: (doc: SchemaDoc) => unknown
  /**
   * The new archive's signature: 'keep' the original one (now over other bytes), 'drop' it, or
   * sign the new manifest with a key, as someone holding it would.
   */
  signature: 'keep' | 'drop' | RegistryKey
  /**
   * Leave the manifest's checksum of schema.json as it was (a changed schema.json then no longer
   * matches it): what someone without the key must do to keep the signature valid.
   */
  keepSchemaChecksum?: boolean
  /**
   * Change a table's (uncompressed) COPY data; the entry is compressed again and its size and
   * compressed sha256 follow, but the manifest's checksum, size and row count of the data stay.
   */
  data?: (table: ManifestTable, copy: Buffer) => Buffer | undefined
}

/**
 * What an attacker holding an archive can do: change schema.json, recompute the manifest's
 * checksums and the trailer, and write a well-formed archive (with erp's own writer).
 */
export async function craftArchive(source: string, target: string, options: CraftOptions): Promise<string> {
  const entries = new Map<string, Buffer>()
  const extract = tar.extract()
  fs.createReadStream(source).pipe(extract)
  for await (const entry of extract) {
    const chunks: Buffer[] = []
    for await (const chunk of entry as unknown as Readable) chunks.push(chunk as Buffer)
    entries.set(entry.header.name, Buffer.concat(chunks))
  }
  const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as Manifest
  const original = entries.has('SIGNATURE') ? decodeSignature(entries.get('SIGNATURE')!) : undefined
  const doc = JSON.parse(entries.get('schema.json')!.toString('utf8')) as SchemaDoc
  const schemaJson = Buffer.from(JSON.stringify(options.schema ? options.schema(doc) : doc))
  if (!options.keepSchemaChecksum) manifest.schema = { ...manifest.schema, sha256: sha256(schemaJson), bytes: schemaJson.length }
  const staging = fs.mkdtempSync(`${target}.staging-`)
  try {
    const data: DataFile[] = manifest.tables.map((table, i) => {
      const file = path.join(staging, String(i))
      let body = entries.get(table.entry)!
      const changed = options.data?.(table, zlib.gunzipSync(body))
      if (changed) {
        body = zlib.gzipSync(changed)
        Object.assign(table, { compressedBytes: body.length, compressedSha256: sha256(body) })
      }
      fs.writeFileSync(file, body)
      return { table, file }
    })
    const { signature } = options
    const sign = signature === 'drop' ? undefined
      : signature === 'keep' ? () => original as ArchiveSignature
      : (json: Buffer) => signManifest(signature, json)
    await writeArchive(target, manifest, schemaJson, data, sign)
  } finally {
    fs.rmSync(staging, { recursive: true, force: true })
  }
  return target
}
