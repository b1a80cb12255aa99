import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import tar from 'tar-stream'

import { sha256, writeArchive, type DataFile } from '../../src/lib/backup/archive.js'
import type { SchemaDoc } from '../../src/lib/backup/ddl.js'
import type { Manifest } from '../../src/lib/backup/format.js'
import { decodeSignature, signManifest, type ArchiveSignature, type RegistryKey } from '../../src/lib/backup/signature.js'

export interface CraftOptions {
  /** Change schema.json (any JSON: crafted archives need not be SchemaDocs). */
  schema?: (doc: SchemaDoc) => unknown
  /**
   * The new archive's signature: 'keep' the original one (now over other bytes), 'drop' it, or
   * sign the new manifest with a key, as someone holding it would.
   */
  signature: 'keep' | 'drop' | RegistryKey
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
  manifest.schema = { ...manifest.schema, sha256: sha256(schemaJson), bytes: schemaJson.length }
  const staging = fs.mkdtempSync(`${target}.staging-`)
  try {
    const data: DataFile[] = manifest.tables.map((table, i) => {
      const file = path.join(staging, String(i))
      fs.writeFileSync(file, entries.get(table.entry)!)
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
