/**
 * The invoice triggers no longer look at their table's name (TG_TABLE_NAME): on a Citus worker
 * the table is a shard named invoices_<shardid>, so `tg_table_name = 'invoices'` was false for
 * the header and the check read new.invoice_id from it. Each trigger now says what it is written
 * for as a trigger argument (TG_ARGV[0]): 'header' on invoices; the child table's name, for the
 * messages, on invoice_lines and invoice_taxes. Same checks, same errors, same trigger names.
 * Runs with search_path set to the tenant's schema, as the tenant's owner role.
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw(`
    create or replace function invoice_check_totals() returns trigger language plpgsql as $$
    declare
      inv_id bigint;
      r record;
    begin
      if tg_argv[0] = 'header' then inv_id := new.id;
      elsif tg_op = 'DELETE' then inv_id := old.invoice_id;
      else inv_id := new.invoice_id;
      end if;
      -- One statement: the header against the sum of its lines, and the lines per rate against the tax rows.
      select h.net, h.tax, h.gross, l.net as lnet, l.tax as ltax, l.gross as lgross, l.bad_rate into r
        from invoices h,
             lateral (select coalesce(sum(a.net), 0) as net, coalesce(sum(a.tax), 0) as tax, coalesce(sum(a.gross), 0) as gross,
                             min(coalesce(a.rate, b.rate)) filter (where a.net is distinct from b.net or a.tax is distinct from b.tax) as bad_rate
                        from (select tax_rate as rate, sum(net) net, sum(tax) tax, sum(gross) gross from invoice_lines where invoice_id = h.id group by tax_rate) a
                        full join (select rate, net, tax from invoice_taxes where invoice_id = h.id) b on a.rate = b.rate) l
       where h.id = inv_id;
      if not found then return null; end if;
      if r.net <> r.lnet or r.tax <> r.ltax or r.gross <> r.lgross then
        raise exception 'invoice % totals (net %, tax %, gross %) differ from the sum of its lines (net %, tax %, gross %)',
          inv_id, r.net, r.tax, r.gross, r.lnet, r.ltax, r.lgross
          using errcode = '23514', constraint = 'invoice_totals_match_lines';
      end if;
      if r.bad_rate is not null then
        raise exception 'invoice % tax summary at rate % differs from its lines', inv_id, r.bad_rate
          using errcode = '23514', constraint = 'invoice_taxes_match_lines';
      end if;
      return null;
    end
    $$
  `)
  await knex.raw('drop trigger invoices_totals_match_lines on invoices')
  await knex.raw(`
    create constraint trigger invoices_totals_match_lines after insert or update of net, tax, gross on invoices
      deferrable initially deferred for each row execute function invoice_check_totals('header')
  `)
  await knex.raw(`
    create or replace function invoice_children_immutable() returns trigger language plpgsql as $$
    declare
      inv_id bigint := case when tg_op = 'INSERT' then new.invoice_id else old.invoice_id end;
      st text;
      fresh boolean;
    begin
      -- An invoice written by this very transaction (a tenant being cloned or restored copies
      -- issued invoices, then their lines) may still get lines; after commit, never.
      select state, xmin::text = (txid_current() % 4294967296)::text into st, fresh from invoices where id = inv_id;
      if st is not null and st <> 'draft' and not (tg_op = 'INSERT' and fresh) then
        raise exception '% of issued invoice % cannot change (% refused)', tg_argv[0], inv_id, tg_op
          using errcode = '55000', hint = 'Issued invoices are immutable: void it (a credit note) and invoice again.';
      end if;
      return case when tg_op = 'DELETE' then old else new end;
    end
    $$
  `)
  for (const table of ['invoice_lines', 'invoice_taxes']) {
    await knex.raw(`drop trigger ${table}_immutable on ${table}`)
    await knex.raw(`
      create trigger ${table}_immutable before insert or update or delete on ${table}
        for each row execute function invoice_children_immutable('${table}')
    `)
  }
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  for (const table of ['invoice_lines', 'invoice_taxes']) {
    await knex.raw(`drop trigger ${table}_immutable on ${table}`)
    await knex.raw(`
      create trigger ${table}_immutable before insert or update or delete on ${table}
        for each row execute function invoice_children_immutable()
    `)
  }
  await knex.raw(`
    create or replace function invoice_children_immutable() returns trigger language plpgsql as $$
    declare
      inv_id bigint := case when tg_op = 'INSERT' then new.invoice_id else old.invoice_id end;
      st text;
      fresh boolean;
    begin
      select state, xmin::text = (txid_current() % 4294967296)::text into st, fresh from invoices where id = inv_id;
      if st is not null and st <> 'draft' and not (tg_op = 'INSERT' and fresh) then
        raise exception '% of issued invoice % cannot change (% refused)', tg_table_name, inv_id, tg_op
          using errcode = '55000', hint = 'Issued invoices are immutable: void it (a credit note) and invoice again.';
      end if;
      return case when tg_op = 'DELETE' then old else new end;
    end
    $$
  `)
  await knex.raw('drop trigger invoices_totals_match_lines on invoices')
  await knex.raw(`
    create constraint trigger invoices_totals_match_lines after insert or update of net, tax, gross on invoices
      deferrable initially deferred for each row execute function invoice_check_totals()
  `)
  await knex.raw(`
    create or replace function invoice_check_totals() returns trigger language plpgsql as $$
    declare
      inv_id bigint;
      r record;
    begin
      if tg_table_name = 'invoices' then inv_id := new.id;
      elsif tg_op = 'DELETE' then inv_id := old.invoice_id;
      else inv_id := new.invoice_id;
      end if;
      select h.net, h.tax, h.gross, l.net as lnet, l.tax as ltax, l.gross as lgross, l.bad_rate into r
        from invoices h,
             lateral (select coalesce(sum(a.net), 0) as net, coalesce(sum(a.tax), 0) as tax, coalesce(sum(a.gross), 0) as gross,
                             min(coalesce(a.rate, b.rate)) filter (where a.net is distinct from b.net or a.tax is distinct from b.tax) as bad_rate
                        from (select tax_rate as rate, sum(net) net, sum(tax) tax, sum(gross) gross from invoice_lines where invoice_id = h.id group by tax_rate) a
                        full join (select rate, net, tax from invoice_taxes where invoice_id = h.id) b on a.rate = b.rate) l
       where h.id = inv_id;
      if not found then return null; end if;
      if r.net <> r.lnet or r.tax <> r.ltax or r.gross <> r.lgross then
        raise exception 'invoice % totals (net %, tax %, gross %) differ from the sum of its lines (net %, tax %, gross %)',
          inv_id, r.net, r.tax, r.gross, r.lnet, r.ltax, r.lgross
          using errcode = '23514', constraint = 'invoice_totals_match_lines';
      end if;
      if r.bad_rate is not null then
        raise exception 'invoice % tax summary at rate % differs from its lines', inv_id, r.bad_rate
          using errcode = '23514', constraint = 'invoice_taxes_match_lines';
      end if;
      return null;
    end
    $$
  `)
}
