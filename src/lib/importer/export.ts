import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'

export interface ExportInput {
  /** A file path (written to a temporary name, then renamed), or a stream (stdout). */
  output: string | Writable
}

export interface ExportSummary {
  entity: string
  rows: number
  /** The file written, or null for stdout. */
  file: string | null
}

/**
 * Run one `COPY (…) TO STDOUT` and stream it to a file or stdout: PostgreSQL writes the CSV, the
 * client only forwards bytes. A file appears complete or not at all.
 */
export async function exportCsv(trx: Knex.Transaction, entity: string, sql: string, input: ExportInput): Promise<ExportSummary> {
  const { to: copyTo } = (await import('pg-copy-streams')).default
  const connection = await trx.client.acquireConnection()
  try {
    const stream = connection.query(copyTo(sql))
    if (typeof input.output !== 'string') {
      await pipeline(stream, input.output, { end: false })
      return { entity, rows: stream.rowCount, file: null }
    }
    const temporary = `${input.output}.${process.pid}.tmp`
    try {
      await pipeline(stream, createWriteStream(temporary))
      await rename(temporary, input.output)
    } catch (err) {
      await rm(temporary, { force: true })
      throw err
    }
    return { entity, rows: stream.rowCount, file: input.output }
  } finally {
    await trx.client.releaseConnection(connection)
  }
}
