/**
 * Invoices as they stood at the end of a day, for the reports that look back (aging, overdue).
 * What counts is when things happened on paper, not when they were typed in: an invoice is open
 * from its issue date; a payment counts from its payment date (paid_on); a void counts from the
 * issue date of the credit note that cancels it. A payment dated after the day is not yet made.
 *
 * SQL for a WITH list, after a CTE `d` with one row and column `as_of` (a date). It defines
 * `standing`: each invoice (kind invoice) issued and not voided by that day, with what was paid and
 * due then and the state that made it (issued, partially_paid or paid).
 */
export const STANDING_AS_OF = `
  standing as (
    select i.id, coalesce(p.paid, 0) as paid, i.gross - coalesce(p.paid, 0) as due,
           case when coalesce(p.paid, 0) = 0 then 'issued' when p.paid < i.gross then 'partially_paid' else 'paid' end as state
      from invoices i cross join d
      left join lateral (select sum(p.amount) as paid from payments p where p.invoice_id = i.id and p.paid_on <= d.as_of) p on true
     where i.kind = 'invoice' and i.issue_date <= d.as_of
       and (i.state <> 'void'
            or exists (select 1 from invoices n where n.credited_invoice_id = i.id and n.reason = 'void' and n.issue_date > d.as_of))
  )`

