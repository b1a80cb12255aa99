import { expect } from 'chai'

import { refuseSessionControl, splitScript } from '../../../src/lib/sql/script.js'

const texts = (sql: string) => splitScript(sql).map((s) => s.text)
const words = (sql: string) => splitScript(sql).map((s) => s.words.join(' '))

describe('sql script lexer', () => {
  it('cuts at semicolons outside strings, identifiers, dollar quotes and comments', () => {
    expect(texts("select 'a;b'; select \"x;y\" from t; select 1")).to.deep.equal(["select 'a;b'", 'select "x;y" from t', 'select 1'])
    expect(texts("select 'it''s; fine'; commit")).to.deep.equal(["select 'it''s; fine'", 'commit'])
    expect(texts("do $$ begin perform 1; end $$; select 2")).to.deep.equal(['do $$ begin perform 1; end $$', 'select 2'])
    expect(texts("create function f() returns int as $body$ select 1; $inner$ ; $body$ language sql; x")).to.have.length(2)
    expect(texts('select 1 -- a comment; not a statement\n; select 2')).to.deep.equal(['select 1 -- a comment; not a statement', 'select 2'])
  })

  it('knows nested comments, E-strings and dollar signs that open no quote', () => {
    expect(words('/* outer /* inner */ still; comment */ commit')).to.deep.equal(['commit'])
    expect(texts("select E'\\'; commit; --'")).to.deep.equal(["select E'\\'; commit; --'"])
    // Not an E-string: a word ending in e before a plain literal keeps standard backslashes.
    expect(texts("select some_e'\\'; commit")).to.have.length(2)
    expect(texts('select $1; commit')).to.deep.equal(['select $1', 'commit'])
    expect(texts('select a$b$c; commit')).to.deep.equal(['select a$b$c', 'commit'])
  })

  it('reports first words and lines, skipping comments', () => {
    const [first, second] = splitScript('-- header\nselect 1;\n\n  /* c */ SET  Session AUTHORIZATION x;')
    expect(first).to.include({ line: 2 })
    expect(second.words).to.deep.equal(['set', 'session', 'authorization'])
    expect(second.line).to.equal(4)
    expect(splitScript(' ;; -- nothing\n')).to.deep.equal([])
  })

  it('refuses transaction and session control, lets savepoints and ordinary SET through', () => {
    for (const sql of ['commit', 'COMMIT AND CHAIN', 'end', 'abort', 'begin', 'start transaction', 'rollback', 'prepare transaction \'x\'',
      'reset role', 'set role x', 'set local role x', 'set session role x', 'set session authorization x', 'reset session authorization']) {
      expect(() => refuseSessionControl(splitScript(sql), 'f.sql'), sql).to.throw(/line 1/)
    }
    for (const sql of ['savepoint a', 'rollback to savepoint a', 'release a', 'set local statement_timeout = 1000', 'prepare q as select 1', 'select 1']) {
      expect(() => refuseSessionControl(splitScript(sql), 'f.sql'), sql).not.to.throw()
    }
  })

  it('agrees with PostgreSQL: every piece it cuts is one command to the server', async () => {
    const script = [
      "select 'a;b' as x",
      'select E\'\\\';\' as y',
      'select $q$ ; $q$ as z',
      '/* a /* nested */ ; */ select 1 as w',
      'select "se;mi" from (select 1 as "se;mi") s',
    ].join(';\n')
    const pieces = texts(script)
    expect(pieces).to.have.length(5)
    const pg = await import('pg')
    const client = new pg.default.Client({ connectionString: process.env.DATABASE_URL })
    await client.connect()
    try {
      // The extended protocol refuses a text that holds more than one command.
      for (const piece of pieces) await client.query({ text: piece, queryMode: 'extended' } as never)
    } finally {
      await client.end()
    }
  })
})
