/**
 * Pricing: tax rates by tax class, price lists with their items (quantity breaks, validity dates),
 * discounts/promotions, and the customer groups' link to a price list.
 * Runs with search_path set to the tenant's schema, as the tenant's owner role.
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create table tax_rates (
      tax_class   text primary key check (tax_class ~ '^[a-z][a-z0-9_]{0,39}$'),
      rate        numeric(7,4) not null check (rate >= 0 and rate <= 100),
      updated_at  timestamptz not null default now(),
      constraint tax_rates_zero_is_zero check (tax_class <> 'zero' or rate = 0)
    )
  `)
  await knex.raw(`insert into tax_rates (tax_class, rate) values ('zero', 0)`)

  await knex.raw(`
    create table price_lists (
      id             bigint generated always as identity primary key,
      code           text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
      name           text not null check (name <> ''),
      currency       text not null check (currency ~ '^[A-Z]{3}$'),
      tax_inclusive  boolean not null default false,
      is_default     boolean not null default false,
      created_at     timestamptz not null default now(),
      updated_at     timestamptz not null default now()
    )
  `)
  // One default list per tenant.
  await knex.raw('create unique index price_lists_one_default on price_lists (is_default) where is_default')

  await knex.raw(`
    create table price_list_items (
      id             bigint generated always as identity primary key,
      price_list_id  bigint not null references price_lists (id) on delete cascade,
      product_id     bigint not null references products (id) on delete cascade,
      min_qty        numeric(18,4) not null default 0 check (min_qty >= 0),
      valid_from     date,
      valid_to       date,
      price          numeric(18,4) not null check (price >= 0),
      created_at     timestamptz not null default now(),
      updated_at     timestamptz not null default now(),
      constraint price_list_items_period check (valid_to is null or valid_from is null or valid_to >= valid_from)
    )
  `)
  // The natural key `erp prices set` upserts on; it also serves the resolver's (list, product) lookup.
  await knex.raw(`
    create unique index price_list_items_key
      on price_list_items (price_list_id, product_id, min_qty, coalesce(valid_from, '-infinity'::date))
  `)
  await knex.raw('create index price_list_items_product on price_list_items (product_id)')

  await knex.raw(`
    create table discounts (
      id                 bigint generated always as identity primary key,
      code               text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
      name               text not null check (name <> ''),
      kind               text not null check (kind in ('percent', 'amount')),
      value              numeric(18,4) not null check (value > 0 and (kind <> 'percent' or value <= 100)),
      currency           text check (currency ~ '^[A-Z]{3}$'),
      scope              text not null check (scope in ('product', 'category', 'order')),
      product_id         bigint references products (id),
      category_id        bigint references categories (id),
      customer_group_id  bigint references customer_groups (id),
      valid_from         date,
      valid_to           date,
      min_qty            numeric(18,4) check (min_qty > 0),
      min_amount         numeric(18,4) check (min_amount > 0),
      stacking           text not null default 'exclusive' check (stacking in ('exclusive', 'stackable')),
      priority           integer not null default 100,
      archived_at        timestamptz,
      created_at         timestamptz not null default now(),
      updated_at         timestamptz not null default now(),
      constraint discounts_product_scope check ((scope = 'product') = (product_id is not null)),
      constraint discounts_category_scope check ((scope = 'category') = (category_id is not null)),
      constraint discounts_currency check (currency is not null or (kind = 'percent' and min_amount is null)),
      constraint discounts_period check (valid_to is null or valid_from is null or valid_to >= valid_from)
    )
  `)
  await knex.raw('create index discounts_product on discounts (product_id) where archived_at is null')
  await knex.raw('create index discounts_category on discounts (category_id) where archived_at is null')

  await knex.raw(`
    alter table customer_groups
      add constraint customer_groups_price_list_fk foreign key (price_list_id) references price_lists (id)
  `)
  await knex.raw('create index customer_groups_price_list on customer_groups (price_list_id)')
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop index customer_groups_price_list')
  await knex.raw('alter table customer_groups drop constraint customer_groups_price_list_fk')
  await knex.raw('drop table discounts')
  await knex.raw('drop table price_list_items')
  await knex.raw('drop table price_lists')
  await knex.raw('drop table tax_rates')
}
