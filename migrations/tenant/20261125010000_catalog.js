/**
 * Catalog (categories, attributes, products), customers with groups and addresses, and the
 * tenant's own users. Runs with search_path set to the tenant's schema, as the tenant's owner role.
 *
 * Text search on SKU/name uses case-insensitive prefix indexes (`lower(x) text_pattern_ops`), not
 * pg_trgm: an extension is database-wide, lives in one schema, and CREATE EXTENSION needs CREATE
 * on the database, which a tenant owner role does not have. A trigram index would also tie the
 * tenant schema to an object outside it.
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create table categories (
      id          bigint generated always as identity primary key,
      name        text not null check (name <> '' and position('/' in name) = 0),
      parent_id   bigint null references categories on delete restrict,
      path        text not null unique,
      created_at  timestamptz not null default now()
    )
  `)
  await knex.raw('create index categories_parent_id_idx on categories (parent_id)')
  await knex.raw('create index categories_path_prefix_idx on categories (path text_pattern_ops)')

  await knex.raw(`
    create table attributes (
      id           bigint generated always as identity primary key,
      code         text not null unique check (code ~ '^[a-z][a-z0-9_]*$'),
      name         text,
      type         text not null check (type in ('text', 'number', 'boolean', 'enum', 'date')),
      enum_values  text[] null,
      created_at   timestamptz not null default now(),
      check ((type = 'enum') = (enum_values is not null))
    )
  `)

  await knex.raw(`
    create table products (
      id           bigint generated always as identity primary key,
      sku          text not null unique check (sku <> ''),
      name         text not null,
      description  text,
      category_id  bigint null references categories,
      uom          text not null default 'unit',
      barcode      text null unique,
      weight       numeric(12,3) null check (weight >= 0),
      tax_class    text not null default 'standard',
      active       boolean not null default true,
      tracking     text not null default 'none' check (tracking in ('none', 'lot', 'serial')),
      cost         numeric(14,4) null check (cost >= 0),
      attributes   jsonb not null default '{}' check (jsonb_typeof(attributes) = 'object'),
      created_at   timestamptz not null default now(),
      updated_at   timestamptz not null default now(),
      archived_at  timestamptz null
    )
  `)
  await knex.raw('create index products_category_id_idx on products (category_id)')
  await knex.raw('create index products_attributes_idx on products using gin (attributes jsonb_path_ops)')
  await knex.raw('create index products_sku_prefix_idx on products (lower(sku) text_pattern_ops)')
  await knex.raw('create index products_name_prefix_idx on products (lower(name) text_pattern_ops)')
  await knex.raw('create index products_active_id_idx on products (active, id)')

  await knex.raw(`
    create table customer_groups (
      id                bigint generated always as identity primary key,
      code              text not null unique check (code <> ''),
      name              text not null,
      price_list_id     bigint null,
      discount_percent  numeric(5,2) not null default 0 check (discount_percent between 0 and 100),
      created_at        timestamptz not null default now()
    )
  `)

  await knex.raw(`
    create table customers (
      id                  bigint generated always as identity primary key,
      code                text not null unique check (code <> ''),
      name                text not null,
      email               text,
      phone               text,
      tax_id              text,
      group_id            bigint null references customer_groups,
      credit_limit        numeric(14,2) null check (credit_limit >= 0),
      payment_terms_days  integer not null default 30 check (payment_terms_days >= 0),
      created_at          timestamptz not null default now(),
      updated_at          timestamptz not null default now(),
      archived_at         timestamptz null
    )
  `)
  await knex.raw('create index customers_group_id_idx on customers (group_id)')
  await knex.raw('create index customers_name_prefix_idx on customers (lower(name) text_pattern_ops)')
  await knex.raw('create index customers_code_prefix_idx on customers (lower(code) text_pattern_ops)')

  await knex.raw(`
    create table customer_addresses (
      id           bigint generated always as identity primary key,
      customer_id  bigint not null references customers on delete cascade,
      kind         text not null check (kind in ('billing', 'shipping')),
      is_default   boolean not null default false,
      line1        text not null,
      line2        text,
      city         text not null,
      postal_code  text,
      region       text,
      country      char(2) not null check (country ~ '^[A-Z]{2}$'),
      created_at   timestamptz not null default now()
    )
  `)
  await knex.raw('create index customer_addresses_customer_id_idx on customer_addresses (customer_id)')
  await knex.raw(`
    create unique index customer_addresses_one_default_idx
      on customer_addresses (customer_id, kind) where is_default
  `)

  await knex.raw(`
    create table users (
      id             bigint generated always as identity primary key,
      email          text not null,
      name           text not null,
      role           text not null check (role in ('admin', 'manager', 'clerk', 'viewer')),
      password_hash  text null,
      disabled_at    timestamptz null,
      created_at     timestamptz not null default now(),
      updated_at     timestamptz not null default now()
    )
  `)
  await knex.raw('create unique index users_email_key on users (lower(email))')
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop table users')
  await knex.raw('drop table customer_addresses')
  await knex.raw('drop table customers')
  await knex.raw('drop table customer_groups')
  await knex.raw('drop table products')
  await knex.raw('drop table attributes')
  await knex.raw('drop table categories')
}
