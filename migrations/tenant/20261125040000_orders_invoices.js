/**
 * Orders and invoices: sales orders and their lines (priced by the resolver, overrides recorded),
 * invoices and credit notes (one table, a kind each), their lines and taxes per rate, payments,
 * and the gapless number series.
 * Runs with search_path set to the tenant's schema, as the tenant's owner role.
 *
 * Integrity held by the database itself:
 * - an invoice's totals equal the sum of its lines, and its tax rows the lines per rate
 *   (deferred constraint triggers, checked at commit, so a service may write header and lines in
 *   any order inside its transaction);
 * - an issued invoice is immutable: its lines and taxes cannot change, and of its header only
 *   state, paid and voided_at may (payments and voiding); a number once given never changes;
 * - an order line is never invoiced beyond what was shipped and not returned (CHECK).
 * Numbers are taken from invoice_series with UPDATE … RETURNING inside the issuing transaction:
 * a rollback gives the number back and concurrent issuers queue on the series row.
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create table orders (
      id                 bigint generated always as identity primary key,
      customer_id        bigint not null references customers on delete restrict,
      state              text not null default 'draft'
                           check (state in ('draft', 'confirmed', 'partially_fulfilled', 'fulfilled', 'closed', 'cancelled')),
      order_date         date not null default current_date,
      currency           text not null check (currency ~ '^[A-Z]{3}$'),
      scale              smallint not null default 2 check (scale between 0 and 4),
      price_list         text not null,
      tax_inclusive      boolean not null,
      net                numeric(18,4) not null,
      tax                numeric(18,4) not null,
      gross              numeric(18,4) not null,
      note               text null,
      credit_override    text null,
      confirmed_at       timestamptz null,
      cancelled_at       timestamptz null,
      closed_at          timestamptz null,
      created_at         timestamptz not null default now(),
      updated_at         timestamptz not null default now(),
      created_by         text not null default session_user
    )
  `)
  await knex.raw('create index orders_customer_id_idx on orders (customer_id, id)')
  await knex.raw('create index orders_state_idx on orders (state, id)')
  await knex.raw('create index orders_order_date_idx on orders (order_date, id)')

  await knex.raw(`
    create table order_lines (
      id               bigint generated always as identity primary key,
      order_id         bigint not null references orders on delete cascade,
      line_no          integer not null check (line_no > 0),
      product_id       bigint not null references products on delete restrict,
      sku              text not null,
      description      text not null,
      qty              numeric(18,4) not null check (qty > 0),
      unit_price       numeric(18,4) not null check (unit_price >= 0),
      price_source     text not null check (price_source in ('list', 'fallback', 'override')),
      list_unit_price  numeric(18,4) null,
      discount         numeric(18,4) not null default 0,
      tax_rate         numeric(7,4) not null,
      net              numeric(18,4) not null,
      tax              numeric(18,4) not null,
      gross            numeric(18,4) not null,
      qty_fulfilled    numeric(18,4) not null default 0,
      qty_returned     numeric(18,4) not null default 0,
      qty_invoiced     numeric(18,4) not null default 0,
      qty_credited     numeric(18,4) not null default 0,
      unique (order_id, line_no),
      check (qty_fulfilled >= 0 and qty_fulfilled <= qty),
      check (qty_returned >= 0 and qty_returned <= qty_fulfilled),
      check (qty_credited >= 0 and qty_credited <= qty_invoiced),
      constraint order_lines_invoiced_within_shipped check (qty_invoiced - qty_credited <= qty_fulfilled - qty_returned)
    )
  `)
  await knex.raw('create index order_lines_product_id_idx on order_lines (product_id)')

  await knex.raw(`
    create table invoice_series (
      series       text not null check (series ~ '^[A-Z][A-Z0-9_]{0,15}$'),
      year         integer not null default 0,
      next_number  bigint not null default 1 check (next_number > 0),
      primary key (series, year)
    )
  `)

  await knex.raw(`
    create table invoices (
      id                   bigint generated always as identity primary key,
      kind                 text not null default 'invoice' check (kind in ('invoice', 'credit_note')),
      reason               text null check (reason in ('void', 'return')),
      series               text not null,
      year                 integer null,
      seq                  bigint null,
      number               text null unique,
      state                text not null default 'draft'
                             check (state in ('draft', 'issued', 'partially_paid', 'paid', 'void')),
      customer_id          bigint not null references customers on delete restrict,
      order_id             bigint null references orders on delete restrict,
      credited_invoice_id  bigint null references invoices on delete restrict,
      currency             text not null check (currency ~ '^[A-Z]{3}$'),
      scale                smallint not null default 2 check (scale between 0 and 4),
      tax_inclusive        boolean not null,
      payment_terms_days   integer not null check (payment_terms_days >= 0),
      net                  numeric(18,4) not null default 0,
      tax                  numeric(18,4) not null default 0,
      gross                numeric(18,4) not null default 0,
      paid                 numeric(18,4) not null default 0,
      issue_date           date null,
      due_date             date null,
      issued_at            timestamptz null,
      voided_at            timestamptz null,
      created_at           timestamptz not null default now(),
      created_by           text not null default session_user,
      unique (series, year, seq),
      check ((kind = 'credit_note') = (reason is not null)),
      check ((kind = 'credit_note') = (credited_invoice_id is not null) or reason = 'return'),
      check (kind = 'invoice' or (paid = 0 and state in ('draft', 'issued'))),
      check (paid >= 0 and paid <= gross),
      check ((number is null) = (seq is null)),
      check (state = 'draft' or state = 'void' or number is not null),
      check (state <> 'draft' or (number is null and issue_date is null)),
      check (state <> 'paid' or paid = gross),
      check (state <> 'partially_paid' or (paid > 0 and paid < gross))
    )
  `)
  await knex.raw('create index invoices_customer_id_idx on invoices (customer_id, id)')
  await knex.raw('create index invoices_order_id_idx on invoices (order_id) where order_id is not null')
  await knex.raw('create index invoices_open_idx on invoices (due_date) where state in (\'issued\', \'partially_paid\')')
  await knex.raw('create index invoices_credited_idx on invoices (credited_invoice_id) where credited_invoice_id is not null')
  // One void credit note per invoice: voiding twice cannot happen even under concurrency.
  await knex.raw('create unique index invoices_one_void_note on invoices (credited_invoice_id) where reason = \'void\'')

  await knex.raw(`
    create table invoice_lines (
      id             bigint generated always as identity primary key,
      invoice_id     bigint not null references invoices on delete cascade,
      line_no        integer not null check (line_no > 0),
      order_line_id  bigint null references order_lines on delete restrict,
      product_id     bigint null references products on delete restrict,
      sku            text null,
      description    text not null,
      qty            numeric(18,4) not null check (qty > 0),
      unit_price     numeric(18,4) not null,
      discount       numeric(18,4) not null default 0,
      tax_rate       numeric(7,4) not null,
      net            numeric(18,4) not null,
      tax            numeric(18,4) not null,
      gross          numeric(18,4) not null check (gross = net + tax),
      unique (invoice_id, line_no)
    )
  `)
  await knex.raw('create index invoice_lines_order_line_id_idx on invoice_lines (order_line_id) where order_line_id is not null')

  await knex.raw(`
    create table invoice_taxes (
      invoice_id  bigint not null references invoices on delete cascade,
      rate        numeric(7,4) not null,
      net         numeric(18,4) not null,
      tax         numeric(18,4) not null,
      gross       numeric(18,4) not null check (gross = net + tax),
      primary key (invoice_id, rate)
    )
  `)

  await knex.raw(`
    create table payments (
      id          bigint generated always as identity primary key,
      invoice_id  bigint not null references invoices on delete restrict,
      amount      numeric(18,4) not null check (amount > 0),
      method      text not null check (method ~ '^[a-z][a-z0-9_-]{0,31}$'),
      paid_on     date not null default current_date,
      reference   text null,
      created_at  timestamptz not null default now(),
      created_by  text not null default session_user
    )
  `)
  await knex.raw('create index payments_invoice_id_idx on payments (invoice_id)')

  // Totals = sum of lines, taxes = lines per rate; checked at commit for every invoice touched.
  await knex.raw(`
    create function invoice_check_totals() returns trigger language plpgsql as $$
    declare
      inv_id bigint;
      h record;
      l record;
      bad_rate numeric;
    begin
      if tg_table_name = 'invoices' then inv_id := new.id;
      elsif tg_op = 'DELETE' then inv_id := old.invoice_id;
      else inv_id := new.invoice_id;
      end if;
      select i.net, i.tax, i.gross into h from invoices i where i.id = inv_id;
      if not found then return null; end if;
      select coalesce(sum(x.net), 0) as net, coalesce(sum(x.tax), 0) as tax, coalesce(sum(x.gross), 0) as gross
        into l from invoice_lines x where x.invoice_id = inv_id;
      if h.net <> l.net or h.tax <> l.tax or h.gross <> l.gross then
        raise exception 'invoice % totals (net %, tax %, gross %) differ from the sum of its lines (net %, tax %, gross %)',
          inv_id, h.net, h.tax, h.gross, l.net, l.tax, l.gross
          using errcode = '23514', constraint = 'invoice_totals_match_lines';
      end if;
      select coalesce(a.rate, b.rate) into bad_rate
        from (select tax_rate as rate, sum(net) net, sum(tax) tax from invoice_lines where invoice_id = inv_id group by tax_rate) a
        full join (select rate, net, tax from invoice_taxes where invoice_id = inv_id) b on a.rate = b.rate
       where a.net is distinct from b.net or a.tax is distinct from b.tax
       limit 1;
      if found then
        raise exception 'invoice % tax summary at rate % differs from its lines', inv_id, bad_rate
          using errcode = '23514', constraint = 'invoice_taxes_match_lines';
      end if;
      return null;
    end
    $$
  `)
  await knex.raw(`
    create constraint trigger invoices_totals_match_lines after insert or update of net, tax, gross on invoices
      deferrable initially deferred for each row execute function invoice_check_totals()
  `)
  await knex.raw(`
    create constraint trigger invoice_lines_totals_match after insert or update or delete on invoice_lines
      deferrable initially deferred for each row execute function invoice_check_totals()
  `)
  await knex.raw(`
    create constraint trigger invoice_taxes_totals_match after insert or update or delete on invoice_taxes
      deferrable initially deferred for each row execute function invoice_check_totals()
  `)
  // Issued documents are immutable.
  await knex.raw(`
    create function invoice_children_immutable() returns trigger language plpgsql as $$
    declare
      inv_id bigint := case when tg_op = 'INSERT' then new.invoice_id else old.invoice_id end;
      st text;
      fresh boolean;
    begin
      -- An invoice written by this very transaction (a tenant being cloned or restored copies
      -- issued invoices, then their lines) may still get lines; after commit, never.
      select state, xmin::text = (txid_current() % 4294967296)::text into st, fresh from invoices where id = inv_id;
      if st is not null and st <> 'draft' and not (tg_op = 'INSERT' and fresh) then
        raise exception '% of issued invoice % cannot change (% refused)', tg_table_name, inv_id, tg_op
          using errcode = '55000', hint = 'Issued invoices are immutable: void it (a credit note) and invoice again.';
      end if;
      return case when tg_op = 'DELETE' then old else new end;
    end
    $$
  `)
  for (const table of ['invoice_lines', 'invoice_taxes']) {
    await knex.raw(`
      create trigger ${table}_immutable before insert or update or delete on ${table}
        for each row execute function invoice_children_immutable()
    `)
  }
  await knex.raw(`
    create function invoices_immutable() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        if old.state <> 'draft' then
          raise exception 'issued invoice % cannot be deleted', coalesce(old.number, old.id::text)
            using errcode = '55000', hint = 'Void it instead: a credit note cancels it.';
        end if;
        return old;
      end if;
      if old.state <> 'draft' and (
           new.kind, new.reason, new.series, new.year, new.seq, new.number, new.customer_id, new.order_id,
           new.credited_invoice_id, new.currency, new.scale, new.tax_inclusive, new.payment_terms_days, new.net, new.tax,
           new.gross, new.issue_date, new.due_date, new.issued_at, new.created_at
         ) is distinct from (
           old.kind, old.reason, old.series, old.year, old.seq, old.number, old.customer_id, old.order_id,
           old.credited_invoice_id, old.currency, old.scale, old.tax_inclusive, old.payment_terms_days, old.net, old.tax,
           old.gross, old.issue_date, old.due_date, old.issued_at, old.created_at
         ) then
        raise exception 'issued invoice % is immutable: only payments and voiding change it', coalesce(old.number, old.id::text)
          using errcode = '55000', hint = 'Void it (a credit note) and invoice again.';
      end if;
      if old.state = 'void' and new.state <> 'void' then
        raise exception 'invoice % is void', coalesce(old.number, old.id::text) using errcode = '55000';
      end if;
      return new;
    end
    $$
  `)
  await knex.raw(`
    create trigger invoices_immutable before update or delete on invoices
      for each row execute function invoices_immutable()
  `)

}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop table payments')
  await knex.raw('drop table invoice_taxes')
  await knex.raw('drop table invoice_lines')
  await knex.raw('drop table invoices')
  await knex.raw('drop table invoice_series')
  await knex.raw('drop table order_lines')
  await knex.raw('drop table orders')
  await knex.raw('drop function invoices_immutable()')
  await knex.raw('drop function invoice_children_immutable()')
  await knex.raw('drop function invoice_check_totals()')
}
