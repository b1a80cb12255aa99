import { expect } from 'chai'

import { checkStatement, splitStatements } from '../../../src/lib/db/migration-lint.js'

const rules = (sql: string) => checkStatement(sql).map((h) => `${h.rule}:${h.table}`)

describe('migration lint rules', () => {
  it('splits SQL on semicolons outside quotes, dollar quotes and comments', () => {
    expect(splitStatements(`select ';'; -- a comment; here\ncreate function f() returns int language sql as $$ select 1; $$; /* x; */ select "a;b"`)).to.deep.equal([
      "select ';'",
      'create function f() returns int language sql as $$ select 1; $$',
      'select "a;b"',
    ])
  })

  it('flags what rewrites or blocks a table, and leaves safe DDL alone', () => {
    expect(rules('alter table settings alter column value type text')).to.deep.equal(['alter-column-type:settings'])
    expect(rules('ALTER TABLE "Settings" ALTER COLUMN x SET DATA TYPE bigint USING x::bigint')).to.deep.equal(['alter-column-type:Settings'])
    expect(rules('alter table t add column c uuid default gen_random_uuid()')).to.deep.equal(['volatile-default:t'])
    expect(rules('alter table t add column id bigserial')).to.deep.equal(['volatile-default:t'])
    expect(rules('alter table t add column c timestamptz default now()')).to.deep.equal([])
    expect(rules("alter table t add column c text not null default 'x'")).to.deep.equal([])
    expect(rules('alter table t add column c int not null')).to.deep.equal(['not-null-without-default:t'])
    expect(rules('alter table t alter column c set not null')).to.deep.equal(['set-not-null:t'])
    expect(rules('alter table t add constraint c_pos check (c > 0)')).to.deep.equal(['validating-constraint:t'])
    expect(rules('alter table t add constraint c_pos check (c > 0) not valid')).to.deep.equal([])
    expect(rules('alter table t add constraint fk foreign key (a) references u (id)')).to.deep.equal(['validating-constraint:t'])
    expect(rules('alter table public.t add primary key (id)')).to.deep.equal(['index-without-concurrently:t'])
    expect(rules('create index t_c on t (c)')).to.deep.equal(['index-without-concurrently:t'])
    expect(rules('create unique index if not exists t_c on only s.t using btree (c)')).to.deep.equal(['index-without-concurrently:t'])
    expect(rules('create index concurrently t_c on t (c)')).to.deep.equal([])
    expect(rules('lock table t in access exclusive mode')).to.deep.equal(['explicit-lock:t'])
    expect(rules('alter table t add column a text, alter column b type int')).to.deep.equal(['alter-column-type:t'])
    expect(rules('create table t (id bigint generated always as identity primary key)')).to.deep.equal([])
  })
})
