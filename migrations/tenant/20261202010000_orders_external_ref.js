/**
 * An order's number in the client's own system (`external_ref`): stored, unique among the
 * tenant's orders when present, searched by `erp orders list --external-ref` and accepted as
 * `ext:REF` wherever a command takes an order. A partial unique index: orders without one are
 * not constrained (on Citus a tenant's tables are single-shard tables of one colocation group,
 * where a unique index on any column holds as on one server).
 * `discount_percent` on order lines: the percent an imported line was given (`erp import orders`),
 * kept beside the amount it took off (`discount`, which totals and invoices use); null on lines
 * the price resolver discounted.
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`alter table orders add column external_ref text null
    check (external_ref is null or (length(external_ref) between 1 and 100 and external_ref !~ '[[:cntrl:]]' and external_ref = btrim(external_ref)))`)
  await knex.raw('create unique index orders_external_ref_key on orders (external_ref) where external_ref is not null')
  await knex.raw('alter table order_lines add column discount_percent numeric(7,4) null check (discount_percent >= 0 and discount_percent <= 100)')
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('alter table order_lines drop column discount_percent')
  await knex.raw('drop index orders_external_ref_key')
  await knex.raw('alter table orders drop column external_ref')
}
