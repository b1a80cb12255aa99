import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'

import type { Stringifier, stringify as csvStringify } from 'csv-stringify'

import { quoteLiteral } from '../db/identifiers.js'

export interface RowError {
  /** Line in the file where the row starts. */
  line: number
  /** The CSV column (header name) when the problem is about one cell. */
  column?: string
  value?: string
  message: string
}

const MAX_ERRORS_KEPT = 100

/**
 * Rejected rows: counted, the first ones kept for the message and --json, all of them written to
 * the errors file (the row as read, plus an `error` column) when there is one.
 */
export class Rejects {
  count = 0
  kept: RowError[] = []
  private out?: Writable
  private stringifier?: Stringifier
  private closed = false
  private skipColumn = -1
  /** Field key → the file's header name for it. */
  private headers = new Map<string, string>()
  private headerOut: string[] = []

  constructor(private readonly errorsFile: string | undefined, private readonly stringify: typeof csvStringify) {}

  /** Whether rejected rows are written to a file. */
  get writesFile(): boolean {
    return this.errorsFile !== undefined
  }

  /** Called once the header is read: the errors file starts with it (without a previous `error` column). */
  start(headerOut: string[], skipColumn: number, headers: Map<string, string>): void {
    this.headerOut = headerOut
    this.skipColumn = skipColumn
    this.headers = headers
    if (!this.errorsFile) return
    this.out = createWriteStream(this.errorsFile)
    this.stringifier = this.stringify({ record_delimiter: '\n' })
    this.stringifier.pipe(this.out, { end: false })
    this.stringifier.write([...headerOut, 'error'])
  }

  add(line: number, record: string[], problems: { column?: string; value?: string; message: string }[]): void {
    this.count++
    for (const p of problems) if (this.kept.length < MAX_ERRORS_KEPT) this.kept.push({ line, ...p })
    if (!this.stringifier) return
    const reason = problems.map((p) => (p.column ? `${p.column}: ${p.message}` : p.message)).join('; ')
    this.stringifier.write([...(this.skipColumn < 0 ? record : record.filter((_, i) => i !== this.skipColumn)), reason])
  }

  /** Rows the set-based checks rejected: counted, sampled, and appended to the errors file. */
  async fromDatabase(
    trx: Knex.Transaction,
    connection: { query: (q: unknown) => unknown },
    copyTo: (sql: string) => unknown,
    present: Map<string, string>,
    tables: { rows: string; errors: string },
    /**
     * The file read again, record by record, when the mapping changed cells (an inverted boolean, a
     * lookup…): the staged values are then not what the file said, and the rows must be written
     * as read, to be fixed and imported again with the same mapping.
     */
    reread?: (onRecord: (record: string[], line: number) => void) => Promise<void>,
  ): Promise<number> {
    const { rows } = await trx.raw(`select count(distinct line)::int as n from ${tables.errors}`)
    const dbCount: number = rows[0].n
    if (dbCount > 0) {
      const { rows: sample } = await trx.raw(`select line, field, value, message from ${tables.errors} order by line, field limit ?`, [MAX_ERRORS_KEPT])
      for (const r of sample as { line: number; field: string | null; value: string | null; message: string }[]) {
        this.kept.push({
          line: r.line,
          ...(r.field ? { column: this.headers.get(r.field) ?? r.field } : {}),
          ...(r.value !== null ? { value: r.value } : {}),
          message: r.message,
        })
      }
      this.kept.sort((a, b) => a.line - b.line)
      this.kept = this.kept.slice(0, MAX_ERRORS_KEPT)
    }
    if (!this.stringifier || dbCount === 0) return dbCount
    if (reread) {
      const { rows: reasons } = await trx.raw(`select line, string_agg(coalesce(case field ${[...this.headers].map(([key, header]) => `when ${quoteLiteral(key)} then ${quoteLiteral(`${header}: `)}`).join(' ')} else field || ': ' end, '') || message, '; ' order by field) as message
        from ${tables.errors} group by line`)
      const reasonOf = new Map<number, string>((reasons as { line: number; message: string }[]).map((r) => [r.line, r.message]))
      await reread((record, line) => {
        const reason = reasonOf.get(line)
        if (reason !== undefined) this.stringifier!.write([...(this.skipColumn < 0 ? record : record.filter((_, i) => i !== this.skipColumn)), reason])
      })
      return dbCount
    }
    const byHeader = new Map([...this.headers].map(([key, header]) => [header, key]))
    const columns = this.headerOut.map((h) => {
      const key = byHeader.get(h)
      return key && present.has(key) ? `s.${present.get(key)}` : 'null'
    })
    const label = [...this.headers].map(([key, header]) => `when ${quoteLiteral(key)} then ${quoteLiteral(`${header}: `)}`).join(' ')
    const sql = `copy (select ${[...columns, 'e.message'].join(', ')} from ${tables.rows} s
      join (select line, string_agg(coalesce(case field ${label} else field || ': ' end, '') || message, '; ' order by field) as message
            from ${tables.errors} group by line) e on e.line = s.line
      order by s.line) to stdout with (format csv)`
    await this.endStringifier()
    await pipeline(connection.query(copyTo(sql)) as NodeJS.ReadableStream, this.out!)
    this.closed = true
    return dbCount
  }

  private async endStringifier(): Promise<void> {
    const s = this.stringifier!
    await new Promise<void>((resolve, reject) => {
      s.once('end', resolve)
      s.once('error', reject)
      s.end()
    })
  }

  async close(): Promise<void> {
    if (this.closed || !this.out) return
    this.closed = true
    await this.endStringifier()
    await new Promise<void>((resolve, reject) => this.out!.end((err?: Error | null) => (err ? reject(err) : resolve())))
  }
}
