import type { Command } from '@oclif/core'
import type { Knex } from 'knex'

import { BaseCommand } from '../base-command.js'
import { usageError } from '../../errors.js'
import { importArgs, importInputFrom, summaryRecord, type ImportFlagValues } from './importer.js'
import type { ExportSummary } from '../../importer/export.js'
import type { ImportSummary } from '../../importer/run.js'
import type { PreviewRow } from '../../importer/row-stream.js'
import type { EntitySpec, ImportMode } from '../../importer/spec.js'
import type { ImportTemplate, TemplateField } from '../../importer/template.js'
import { renderList, type Column } from '../render.js'
import { currentIo } from '../../io.js'

/**
 * What every `erp import <entity>` command does once it has its spec: stream the file through the
 * importer in one tenant transaction (progress on the spinner, the checksum into the audit
 * record), warn and exit 1 when rows were skipped, print the summary.
 */
export abstract class ImportCommand<T extends typeof Command> extends BaseCommand<T> {
  static audited = true
  static args = importArgs

  protected async importWith<O>(spec: EntitySpec<O>, options: O): Promise<ImportSummary | ImportTemplate> {
    if ((this.flags as { template?: boolean }).template) return this.templateFor(spec, options)
    const { importCsv } = await import('../../importer/run.js')
    const progress = await this.progress('Importing…')
    const file = (this.args as { file: string }).file
    const input = importInputFrom(file, this.flags as unknown as ImportFlagValues, progress, (sha256) => (this.auditDetails.sha256 = sha256))
    const summary = await this.inTenant((trx) => importCsv(trx, spec, input, options)).finally(() => progress.stop())
    for (const warning of summary.warnings) this.warning(warning)
    if (summary.rejected > 0) {
      this.warning(`${summary.rejected} row(s) rejected${summary.errorsFile ? ` (see ${summary.errorsFile})` : ''}`)
      this.exitStatus = 1
    }
    if (summary.preview && !this.jsonEnabled()) {
      this.log(`The first ${summary.preview.length} valid row(s) as they would be imported:`)
      this.log(renderPreview(summary.preview, this.color))
      this.log('')
    }
    this.printRecord(summaryRecord(summary))
    return summary
  }

  /** --template: the file argument gets the header and example rows; the fields are described here. */
  private async templateFor<O>(spec: EntitySpec<O>, options: O): Promise<ImportTemplate> {
    const { buildTemplate, writeTemplate } = await import('../../importer/template.js')
    const file = (this.args as { file: string }).file
    if (/\.(xlsx|xlsm|ods)$/i.test(file)) {
      throw usageError(`--template writes a CSV file, not a workbook (${file})`, { actions: [`Name it .csv (e.g. ${file.replace(/\.\w+$/, '.csv')}); Excel and LibreOffice open it, and erp imports it saved either way`] })
    }
    const fields = await this.inTenant((trx) => spec.fields(trx, options), { access: 'read' })
    const mode = (this.flags as { mode?: ImportMode }).mode ?? 'insert'
    const template = await writeTemplate(buildTemplate(spec.entity, spec.key, fields, mode), file, currentIo().stdout)
    if (!this.jsonEnabled()) {
      const text = renderList(template.fields, TEMPLATE_COLUMNS, { output: 'table', color: this.color })
      // With the CSV on stdout, the descriptions go to stderr.
      if (template.file) {
        this.log(`Wrote ${template.file}: a header and ${template.rows.length} example rows. The fields:`)
        this.log(text)
      } else {
        this.note(text)
      }
    }
    return template
  }
}

const TEMPLATE_COLUMNS: Column<TemplateField>[] = [
  { key: 'field' },
  { key: 'required', get: (f) => (f.required ? 'yes' : '') },
  { key: 'type' },
  { key: 'description' },
  { key: 'example' },
]

function renderPreview(rows: PreviewRow[], color: boolean): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.values)))]
  const columns: Column<PreviewRow>[] = [{ key: 'line', align: 'right' }, ...keys.map((k) => ({ key: k, get: (r: PreviewRow) => r.values[k] }))]
  return renderList(rows, columns, { output: 'table', color })
}

/** What every `erp export <entity>` command does with its COPY query: a file (--output) or stdout. */
export abstract class ExportCommand<T extends typeof Command> extends BaseCommand<T> {
  protected async exportWith(entity: string, noun: string, sql: (trx: Knex.Transaction) => string | Promise<string>): Promise<ExportSummary> {
    const output = (this.flags as { output?: string }).output
    if (this.jsonEnabled() && !output) throw usageError('With --json, pass --output <file.csv> (stdout carries the JSON)')
    const { exportCsv } = await import('../../importer/export.js')
    const summary = await this.inTenant(async (trx) => exportCsv(trx, entity, await sql(trx), { output: output ?? currentIo().stdout }), { access: 'read' })
    if (summary.file) this.note(`Exported ${summary.rows} ${noun}(s) to ${summary.file}.`)
    return summary
  }
}
