/**
 * Stock: warehouses and locations, lots and serials, the stock ledger (stock_moves), the level
 * cache derived from it (stock_levels), reservations, reorder points and applied count files.
 * Runs with search_path set to the tenant's schema, as the tenant's owner role.
 *
 * The ledger is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). stock_levels is a
 * cache of the ledger per product × internal location × lot, kept in step by the services in the
 * same transaction as each move, and rebuilt/checked by `erp stock verify`. Virtual locations
 * (supplier, customer, adjustment, scrap) are the other side of receipts, shipments, adjustments
 * and scrapping; they hold no levels.
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create table warehouses (
      id                   bigint generated always as identity primary key,
      code                 text not null unique
                             check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'
                                    and lower(code) not in ('supplier', 'customer', 'adjustment', 'scrap')),
      name                 text not null check (name <> ''),
      active               boolean not null default true,
      default_location_id  bigint null,
      created_at           timestamptz not null default now(),
      updated_at           timestamptz not null default now()
    )
  `)

  // full_code is how operators name a location: WH1/A-01-02 inside a warehouse, or the kind of
  // a virtual location. Warehouse codes never change, so it is written once, at insert.
  await knex.raw(`
    create table locations (
      id            bigint generated always as identity primary key,
      warehouse_id  bigint null references warehouses on delete restrict,
      code          text not null check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
      full_code     text not null unique,
      name          text null,
      kind          text not null default 'internal'
                      check (kind in ('internal', 'supplier', 'customer', 'adjustment', 'scrap')),
      active        boolean not null default true,
      created_at    timestamptz not null default now(),
      updated_at    timestamptz not null default now(),
      check ((kind = 'internal') = (warehouse_id is not null)),
      check (kind = 'internal' or full_code = kind)
    )
  `)
  await knex.raw('create index locations_warehouse_id_idx on locations (warehouse_id)')
  await knex.raw(`
    alter table warehouses add constraint warehouses_default_location_fk
      foreign key (default_location_id) references locations deferrable initially deferred
  `)
  await knex.raw(`
    insert into locations (code, full_code, name, kind) values
      ('supplier', 'supplier', 'Suppliers (receipts)', 'supplier'),
      ('customer', 'customer', 'Customers (shipments, returns)', 'customer'),
      ('adjustment', 'adjustment', 'Inventory adjustments and counts', 'adjustment'),
      ('scrap', 'scrap', 'Scrapped stock', 'scrap')
  `)

  await knex.raw(`
    create table lots (
      id          bigint generated always as identity primary key,
      product_id  bigint not null references products on delete restrict,
      code        text not null check (code <> '' and code = btrim(code)),
      expires_on  date null,
      created_at  timestamptz not null default now(),
      unique (product_id, code)
    )
  `)
  await knex.raw('create index lots_expires_on_idx on lots (expires_on) where expires_on is not null')

  // location_id is the internal location holding the unit, or null when it has left the
  // company's stock (shipped, scrapped, adjusted out).
  await knex.raw(`
    create table serials (
      id           bigint generated always as identity primary key,
      product_id   bigint not null references products on delete restrict,
      serial       text not null check (serial <> '' and serial = btrim(serial)),
      location_id  bigint null references locations on delete restrict,
      created_at   timestamptz not null default now(),
      updated_at   timestamptz not null default now(),
      unique (product_id, serial)
    )
  `)
  await knex.raw('create index serials_location_id_idx on serials (location_id, product_id)')

  await knex.raw(`
    create table stock_moves (
      id                bigint generated always as identity primary key,
      at                timestamptz not null default now(),
      batch             uuid not null,
      product_id        bigint not null references products on delete restrict,
      from_location_id  bigint not null references locations on delete restrict,
      to_location_id    bigint not null references locations on delete restrict,
      qty               numeric(18,4) not null check (qty > 0),
      lot_id            bigint null references lots on delete restrict,
      reason            text not null
                          check (reason in ('receipt', 'shipment', 'return', 'transfer', 'adjustment', 'count', 'scrap')),
      reference         text null,
      note              text null,
      created_by        text not null default session_user,
      check (from_location_id <> to_location_id)
    )
  `)
  await knex.raw('create index stock_moves_product_id_idx on stock_moves (product_id, id)')
  await knex.raw('create index stock_moves_from_location_id_idx on stock_moves (from_location_id, id)')
  await knex.raw('create index stock_moves_to_location_id_idx on stock_moves (to_location_id, id)')
  await knex.raw('create index stock_moves_reference_idx on stock_moves (reference) where reference is not null')
  await knex.raw('create index stock_moves_lot_id_idx on stock_moves (lot_id) where lot_id is not null')
  await knex.raw('create index stock_moves_batch_idx on stock_moves (batch)')
  // The ledger is appended in time order: a BRIN index serves --since/--until for next to nothing.
  await knex.raw('create index stock_moves_at_idx on stock_moves using brin (at)')

  await knex.raw(`
    create function stock_moves_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'stock_moves is an append-only ledger: % is not allowed', tg_op
        using hint = 'Post a correcting move instead (erp stock adjust).';
    end
    $$
  `)
  await knex.raw(`
    create trigger stock_moves_append_only before update or delete on stock_moves
      for each statement execute function stock_moves_append_only()
  `)
  await knex.raw(`
    create trigger stock_moves_no_truncate before truncate on stock_moves
      for each statement execute function stock_moves_append_only()
  `)

  await knex.raw(`
    create table stock_move_serials (
      move_id    bigint not null references stock_moves on delete restrict,
      serial_id  bigint not null references serials on delete restrict,
      primary key (move_id, serial_id)
    )
  `)
  await knex.raw('create index stock_move_serials_serial_id_idx on stock_move_serials (serial_id)')

  // The cache: one row per product × internal location × lot (lot_key 0 for untracked stock, so
  // that the unique key works on PostgreSQL 14, which has no NULLS NOT DISTINCT).
  await knex.raw(`
    create table stock_levels (
      id           bigint generated always as identity primary key,
      product_id   bigint not null references products on delete restrict,
      location_id  bigint not null references locations on delete restrict,
      lot_id       bigint null references lots on delete restrict,
      lot_key      bigint generated always as (coalesce(lot_id, 0)) stored,
      on_hand      numeric(18,4) not null default 0,
      reserved     numeric(18,4) not null default 0 check (reserved >= 0),
      updated_at   timestamptz not null default now(),
      unique (product_id, location_id, lot_key)
    )
  `)
  await knex.raw('create index stock_levels_location_id_idx on stock_levels (location_id, product_id)')
  await knex.raw('create index stock_levels_lot_id_idx on stock_levels (lot_id) where lot_id is not null')

  // What a document (order, transfer request...) holds, allocated to a concrete level row.
  await knex.raw(`
    create table reservations (
      id           bigint generated always as identity primary key,
      reference    text not null check (reference <> ''),
      product_id   bigint not null references products on delete restrict,
      location_id  bigint not null references locations on delete restrict,
      lot_id       bigint null references lots on delete restrict,
      qty          numeric(18,4) not null check (qty > 0),
      created_at   timestamptz not null default now(),
      created_by   text not null default session_user
    )
  `)
  await knex.raw('create index reservations_reference_idx on reservations (reference)')
  await knex.raw('create index reservations_level_idx on reservations (product_id, location_id, lot_id)')

  await knex.raw(`
    create table reorder_points (
      product_id    bigint not null references products on delete cascade,
      warehouse_id  bigint not null references warehouses on delete cascade,
      min_qty       numeric(18,4) not null check (min_qty >= 0),
      max_qty       numeric(18,4) null,
      updated_at    timestamptz not null default now(),
      primary key (product_id, warehouse_id),
      check (max_qty is null or max_qty >= min_qty)
    )
  `)
  await knex.raw('create index reorder_points_warehouse_id_idx on reorder_points (warehouse_id)')

  // Applied count files, by checksum: the same file is never applied twice.
  await knex.raw(`
    create table stock_counts (
      id            bigint generated always as identity primary key,
      checksum      text not null unique check (checksum ~ '^[0-9a-f]{64}$'),
      reference     text not null,
      file_name     text null,
      warehouse_id  bigint null references warehouses on delete set null,
      lines         integer not null,
      adjustments   integer not null,
      value         numeric(20,4) null,
      applied_at    timestamptz not null default now(),
      applied_by    text not null default session_user
    )
  `)

  await knex.raw(`
    insert into settings (key, value) values ('stock.allow_negative', 'false'::jsonb)
    on conflict (key) do nothing
  `)
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw(`delete from settings where key = 'stock.allow_negative'`)
  await knex.raw('drop table stock_counts')
  await knex.raw('drop table reorder_points')
  await knex.raw('drop table reservations')
  await knex.raw('drop table stock_levels')
  await knex.raw('drop table stock_move_serials')
  await knex.raw('drop table stock_moves')
  await knex.raw('drop function stock_moves_append_only()')
  await knex.raw('drop table serials')
  await knex.raw('drop table lots')
  await knex.raw('alter table warehouses drop constraint warehouses_default_location_fk')
  await knex.raw('drop table locations')
  await knex.raw('drop table warehouses')
}
