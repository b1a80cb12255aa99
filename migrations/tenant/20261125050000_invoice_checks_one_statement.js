/**
 * The check that an invoice's totals equal the sum of its lines and its tax rows the lines per
 * rate, in one statement instead of three: it runs at commit once per row written to invoices,
 * invoice_lines and invoice_taxes (deferred constraint triggers), so creating invoices in batches
 * spent most of its commit here. Same rule, same errors (SQLSTATE 23514, same constraint names).
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
      if tg_table_name = 'invoices' then inv_id := new.id;
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
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw(`
    create or replace function invoice_check_totals() returns trigger language plpgsql as $$
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
}
