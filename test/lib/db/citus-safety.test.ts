import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'

import { checkCitusSql, checkCitusStatement, type CitusRule } from '../../../src/lib/db/citus-rules.js'
import { readsAsStatement, sqlStrings, type SqlString } from '../../helpers/sql-strings.js'

/**
 * The SQL erp writes stays runnable on a Citus coordinator with schema-based sharding (design.md,
 * data rules), checked here on a single server: every migration and every SQL string of src/lib
 * goes through the rules that `erp migrate lint` applies to operators' migrations.
 */

const rulesOf = (sql: string) => checkCitusSql(sql).map((f) => f.rule)

const BAD: Record<CitusRule, { bad: string[]; good: string[] }> = {
  'citus-mutable-in-upsert': {
    bad: [
      "insert into settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value, updated_at = now()",
      'insert into t as s (k, n) select k, n from x on conflict (k) do update set n = s.n + 1 where s.at < current_timestamp',
      'with a as (select 1), up as (insert into t (k) values (1) on conflict (k) do update set at = clock_timestamp() returning 1) select * from up',
    ],
    good: [
      'insert into settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value, updated_at = ?::timestamptz',
      'insert into t (k, at) values (1, now()) on conflict (k) do update set at = excluded.at',
      "insert into t (k) values (1) on conflict (k) do nothing",
    ],
  },
  'citus-mutable-in-case': {
    bad: [
      "update orders o set closed_at = case when s.state = 'closed' then coalesce(o.closed_at, now()) else null end from s where o.id = s.id",
      'with s as (select 1 as id), u as (update orders o set closed_at = coalesce(o.closed_at, now()) from s where o.id = s.id returning o.id) select * from u',
      'delete from lots where coalesce(expires_on, current_date) < ?',
      // A fragment services splice into an UPDATE's SET list.
      'case when s.f2::boolean then now() end',
    ],
    good: [
      "select coalesce(?::date, current_date) as day",
      "update orders o set closed_at = case when s.state = 'closed' then coalesce(o.closed_at, ?::timestamptz) end from s where o.id = s.id",
      "insert into payments (paid_on) values (coalesce(?::date, current_date))",
      'update orders set updated_at = now() where id = ?',
    ],
  },
  'citus-volatile-in-update': {
    bad: [
      "update invoices set state = 'void', voided_at = clock_timestamp() where id = ?",
      "update r set move_id = n.id from (select line, nextval('s') as id from r) n where r.line = n.line",
      'with x as (select random() as r) delete from t using x where t.w < x.r',
    ],
    good: [
      "update invoices set state = 'void', voided_at = ?::timestamptz where id = ?",
      "select array(select nextval('s')::text from generate_series(1, ?::int)) as ids",
    ],
  },
  'citus-mutable-in-returning': {
    bad: [
      "update invoices i set number = ? where i.id = ? returning i.id, to_char(i.issue_date, 'YYYY-MM-DD')",
      'insert into t (k) values (1) returning k, now()',
    ],
    good: [
      'insert into t (k) values (1) returning k, id::text',
      'with up as (update t set n = 1 returning id), x as (select now()) select * from up',
    ],
  },
  'citus-trigger-table-name': {
    bad: [
      "create function f() returns trigger language plpgsql as $$ begin if tg_table_name = 'invoices' then return new; end if; return old; end $$",
      'create or replace function f() returns trigger language plpgsql as $fn$ begin perform tg_relid; return new; end $fn$',
    ],
    good: [
      "create function f() returns trigger language plpgsql as $$ begin if tg_argv[0] = 'header' then return new; end if; return old; end $$",
      "select 'tg_table_name'",
    ],
  },
  'citus-temp-staging': {
    bad: [
      'create temp table import_rows (line integer) on commit drop',
      'create temporary table x as select 1',
      'select * from pg_temp.import_keys k join products p on p.id = k.product_id',
    ],
    good: [
      'create unlogged table "erp_stage_import_rows_0a1b2c" (line integer)',
      'create function f() returns void language sql security definer set search_path = pg_catalog, pg_temp as $$ select $$',
    ],
  },
  'citus-multi-object-ddl': {
    bad: ['drop index s.a, s.b', 'drop table if exists a, b cascade', 'drop function f(int, int), g()'],
    good: ['drop index s.a', 'drop function f(int, int)', 'drop table if exists "a, b"'],
  },
  'citus-multi-statement': {
    bad: ['create table a (id int); create index a_id on a (id)', 'drop table if exists a; drop table if exists b'],
    good: ["select ';'", 'create function f() returns int language sql as $$ select 1; select 2 $$', 'select 1;'],
  },
}

describe('Citus safety of erp\'s own SQL (no Citus needed)', () => {
  describe('each rule catches its bad samples and passes the good ones', () => {
    for (const [rule, { bad, good }] of Object.entries(BAD) as Array<[CitusRule, { bad: string[]; good: string[] }]>) {
      it(rule, () => {
        for (const sql of bad) expect(rulesOf(sql), sql).to.include(rule)
        for (const sql of good) expect(rulesOf(sql), sql).not.to.include(rule)
      })
    }
  })

  const tracked = (pattern: string) =>
    execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
  const where = (s: SqlString) => `${s.file}:${s.line}`
  const check = (s: SqlString) => (readsAsStatement(s.text) ? checkCitusSql(s.text) : checkCitusStatement(s.text))

  it('reads the source as the parser does: templates, nesting, and a bad file is caught', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'erp-citus-'))
    const file = path.join(dir, 'bad.ts')
    writeFileSync(file, [
      'export async function f(trx: any, t: string) {',
      '  await trx.raw(`insert into ${t} (k) values (?) on conflict (k) do update set at = now()`, [1])',
      "  const d = 'x'",
      '  const set = `closed_at = case when ${d} then coalesce(closed_at, now()) end`',
      '  await trx.raw(`drop index ${["a", "b"].map((n) => `s.${n}`).join(", ")}`)',
      '}',
    ].join('\n'))
    const found = sqlStrings(file).flatMap((s) => check(s).map((f) => `${s.line} ${f.rule}`))
    expect(found).to.include.members(['2 citus-mutable-in-upsert', '4 citus-mutable-in-case'])
  })

  it('finds no forbidden pattern in any SQL string of src/lib', () => {
    const files = tracked('src/lib/**/*.ts')
    const strings = files.flatMap(sqlStrings)
    // Not vacuous: the services' SQL is there to be read.
    expect(strings.filter((s) => readsAsStatement(s.text)).length).to.be.above(300)
    expect(strings.some((s) => /on conflict \(product_id, location_id, lot_key\) do update/.test(s.text))).to.equal(true)
    const findings = strings.flatMap((s) => check(s).map((f) => `${where(s)} ${f.rule}: ${f.message}`))
    expect(findings).to.deep.equal([])
  })

  it('finds none in the migrations, trigger functions judged as the last migration leaves them', () => {
    const files = [...tracked('migrations/registry/*.js'), ...tracked('migrations/tenant/*.js')].sort((a, b) => path.basename(a).localeCompare(path.basename(b)))
    expect(files.length).to.be.above(5)
    const findings: string[] = []
    const lastDefinition = new Map<string, { at: string; bad: boolean }>()
    for (const s of files.flatMap(sqlStrings)) {
      for (const f of check(s)) {
        if (f.rule !== 'citus-trigger-table-name') findings.push(`${where(s)} ${f.rule}: ${f.message}`)
      }
      const name = /\bcreate\s+(?:or\s+replace\s+)?function\s+([\w"]+)/i.exec(s.text)?.[1]
      // down() puts back what an older migration had; what runs is what up() leaves.
      if (name && !s.inDown) lastDefinition.set(name, { at: where(s), bad: check(s).some((f) => f.rule === 'citus-trigger-table-name') })
    }
    for (const [name, { at, bad }] of lastDefinition) if (bad) findings.push(`${at} ${name}: reads its table's name`)
    expect(findings).to.deep.equal([])
    // The rule is live on the tree: the invoice trigger functions were once defined by table name.
    expect(lastDefinition.get('invoice_check_totals')?.at).to.match(/20261202000000_invoice_triggers_by_argument/)
    expect(files.flatMap(sqlStrings).filter((s) => check(s).some((f) => f.rule === 'citus-trigger-table-name')).length).to.be.above(0)
  })
})
