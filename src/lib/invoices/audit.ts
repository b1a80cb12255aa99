import type { Knex } from 'knex'

import type { Db } from '../db/connect.js'
import { withTenant } from '../tenants/tenant-work.js'
import { forEachTenant } from '../tenants/fleet.js'

/**
 * What can be wrong with a number series (series and year; year 0 when the format has none):
 * - gap: numbers from..to were never given (or given and then lost), between issued numbers or
 *   below the series counter;
 * - duplicate: one number given to several documents (`count` of them, their `numbers`);
 * - ahead: a number at or past the series counter, which the next issue would give again.
 */
export interface SeriesProblem {
  series: string
  year: number
  kind: 'gap' | 'duplicate' | 'ahead'
  from: number
  to: number
  count: number
  numbers: string[]
}

export interface TenantInvoiceAudit {
  tenant: string
  status: 'ok' | 'problems' | 'failed'
  /** Issued documents (invoices and credit notes) checked. */
  documents: number | null
  problems: SeriesProblem[]
  error: string | null
  durationMs: number
}

/**
 * Audit a tenant's number series in one set-based query: window functions over the issued
 * sequence numbers per series and year find gaps between them, the counter in invoice_series
 * finds a missing tail and numbers given past it, grouping finds duplicates.
 */
export async function auditInvoiceNumbers(trx: Knex.Transaction): Promise<{ documents: number; problems: SeriesProblem[] }> {
  const { rows } = await trx.raw<{ rows: Array<{ kind: SeriesProblem['kind'] | 'total'; series: string; year: number; from: string; to: string; count: string; numbers: string[] | null }> }>(`
    with i as (
      select series, year, seq, count(*) as n, array_agg(number order by id) as numbers
        from invoices where seq is not null group by series, year, seq
    ),
    c as (select series, year, next_number - 1 as last from invoice_series),
    w as (select series, year, seq, lag(seq, 1, 0::bigint) over (partition by series, year order by seq) as prev from i),
    m as (select series, year, max(seq) as top from i group by series, year),
    problems as (
      select 'gap' as kind, series, year, prev + 1 as "from", seq - 1 as "to", seq - prev - 1 as count, null::text[] as numbers
        from w where seq - prev > 1
      union all
      select 'gap', c.series, c.year, coalesce(m.top, 0) + 1, c.last, c.last - coalesce(m.top, 0), null
        from c left join m using (series, year) where c.last > coalesce(m.top, 0)
      union all
      select 'duplicate', series, year, seq, seq, n, numbers from i where n > 1
      union all
      select 'ahead', i.series, i.year, i.seq, i.seq, i.n, i.numbers
        from i left join c using (series, year) where i.seq > coalesce(c.last, 0)
    )
    select * from (
      select kind, series, year, "from", "to"::text, count::text, numbers from problems
      union all
      select 'total', '', 0, null, '0', (select coalesce(sum(n), 0) from i)::text, null
    ) x
    order by kind = 'total', series, year, "from", kind
  `)
  const total = rows.pop()!
  return {
    documents: Number(total.count),
    problems: rows.map((r) => ({
      series: r.series,
      year: r.year,
      kind: r.kind as SeriesProblem['kind'],
      from: Number(r.from),
      to: Number(r.to),
      count: Number(r.count),
      numbers: r.numbers ?? [],
    })),
  }
}

/** auditInvoiceNumbers over many tenants, `concurrency` at a time, each in its own read-only transaction. */
export async function auditTenants(db: Db, slugs: string[], options: { concurrency?: number } = {}): Promise<TenantInvoiceAudit[]> {
  const outcomes = await forEachTenant(slugs, options.concurrency ?? 4, (slug) => withTenant(db, slug, auditInvoiceNumbers, { access: 'read' }))
  return outcomes.map((o) => ({
    tenant: o.tenant,
    status: !o.ok ? 'failed' : o.result!.problems.length ? 'problems' : 'ok',
    documents: o.result?.documents ?? null,
    problems: o.result?.problems ?? [],
    error: o.error ?? null,
    durationMs: o.durationMs,
  }))
}
