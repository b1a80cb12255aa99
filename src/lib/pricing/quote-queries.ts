import type { Knex } from 'knex'

import type { ContextRow, DiscountRow, LineRow, PricedLine } from './quote-types.js'

// ---- queries: three, whatever the number of lines -------------------------------------------

const LIST_JSON = (alias: string) =>
  `json_build_object('id', ${alias}.id::text, 'code', ${alias}.code, 'currency', ${alias}.currency, 'tax_inclusive', ${alias}.tax_inclusive)`

export async function readContext(trx: Knex.Transaction, customer: string | undefined): Promise<ContextRow> {
  const { rows } = await trx.raw(
    `select current_date::text as today,
            (select value from settings where key = 'rounding.mode') as rounding,
            (select ${LIST_JSON('l')} from price_lists l where l.is_default) as default_list,
            (select json_build_object(
                      'code', c.code, 'name', c.name, 'archived', c.archived_at is not null,
                      'group_id', g.id::text, 'group_code', g.code, 'discount_percent', g.discount_percent::text,
                      'list', case when l.id is null then null else ${LIST_JSON('l')} end)
               from customers c
               left join customer_groups g on g.id = c.group_id
               left join price_lists l on l.id = g.price_list_id
              where c.code = ?) as customer`,
    [customer ?? null],
  )
  return rows[0]
}

export async function readLines(trx: Knex.Transaction, skus: string[], listIds: string[]): Promise<LineRow[]> {
  const { rows } = await trx.raw(
    `select t.n::int as n, p.id::text as product_id, p.name, p.active, p.archived_at is not null as archived,
            p.tax_class, trim_scale(tr.rate)::text as tax_rate, c.path as category_path,
            coalesce((
              select json_agg(json_build_object(
                       'id', i.id::text, 'listId', i.price_list_id::text, 'minQty', trim_scale(i.min_qty)::text,
                       'validFrom', i.valid_from::text, 'validTo', i.valid_to::text, 'price', i.price::text)
                     order by i.min_qty desc, i.valid_from desc nulls last, i.id desc)
                from price_list_items i
               where i.product_id = p.id and i.price_list_id = any(?::bigint[])), '[]'::json) as items
       from unnest(?::text[]) with ordinality as t(sku, n)
       left join products p on p.sku = t.sku
       left join tax_rates tr on tr.tax_class = p.tax_class
       left join categories c on c.id = p.category_id
      order by t.n`,
    [listIds, skus],
  )
  return rows
}

/** Discounts whose scope covers any line: order-wide ones, the lines' products, their categories and ancestors. */
export async function readDiscounts(trx: Knex.Transaction, lines: PricedLine[]): Promise<DiscountRow[]> {
  const productIds = [...new Set(lines.map((l) => l.row.product_id!))]
  const paths = [...new Set(lines.map((l) => l.row.category_path).filter((p): p is string => p !== null))]
  const { rows } = await trx.raw(
    `select d.code, d.name, d.kind, trim_scale(d.value)::text as value, d.currency, d.scope, d.product_id::text as product_id,
            c.path as category_path, d.customer_group_id::text as group_id, g.code as group_code,
            d.valid_from::text as valid_from, d.valid_to::text as valid_to, trim_scale(d.min_qty)::text as min_qty,
            trim_scale(d.min_amount)::text as min_amount, d.stacking, d.priority
       from discounts d
       left join categories c on c.id = d.category_id
       left join customer_groups g on g.id = d.customer_group_id
      where d.archived_at is null
        and (d.scope = 'order'
             or d.product_id = any(?::bigint[])
             or exists (select 1 from unnest(?::text[]) as lp(path)
                         where lp.path = c.path or left(lp.path, length(c.path) + 1) = c.path || '/'))
      order by d.priority, d.code`,
    [productIds, paths],
  )
  return rows
}
