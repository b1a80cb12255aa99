import type { Knex } from 'knex'

/**
 * What a schema is, read from the catalogs with PostgreSQL's own pg_get_*def functions (not erp's
 * backup code), with the schema's own name and its tenant roles replaced by placeholders, so two
 * tenants' schemas can be compared with deep equality. Rows are compared separately (rowChecksums).
 */
export async function schemaFingerprint(knex: Knex, schema: string, roles: { ownerRole: string; loginRole: string }): Promise<Record<string, unknown>> {
  return knex.transaction(async (trx) => {
    await trx.raw(`set local search_path to "${schema}"`)
    const q = async (sql: string) => (await trx.raw(sql, [schema])).rows
    const normalise = (value: unknown) =>
      JSON.parse(
        JSON.stringify(value)
          .replaceAll(roles.loginRole, 'LOGIN_ROLE')
          .replaceAll(roles.ownerRole, 'OWNER_ROLE')
          .replaceAll(schema, 'SCHEMA'),
      )
    return normalise({
      relations: await q(`select c.relname, c.relkind, c.relpersistence, c.reloptions, c.relacl::text, c.relispopulated,
                                 obj_description(c.oid, 'pg_class') as comment
                            from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? order by 1`),
      columns: await q(`select c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull,
                               a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid, true) as default, a.attcollation,
                               a.attacl::text, col_description(c.oid, a.attnum) as comment
                          from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
                          left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                         where n.nspname = ? and a.attnum > 0 and not a.attisdropped order by 1, 2`),
      constraints: await q(`select coalesce(c.relname, t.typname) as owner, k.conname, k.contype, pg_get_constraintdef(k.oid, true) as def,
                                   k.condeferrable, k.convalidated, obj_description(k.oid, 'pg_constraint') as comment
                              from pg_constraint k join pg_namespace n on n.oid = k.connamespace
                              left join pg_class c on c.oid = k.conrelid left join pg_type t on t.oid = k.contypid
                             where n.nspname = ? order by 1, 2`),
      indexes: await q(`select ic.relname, pg_get_indexdef(i.indexrelid, 0, true) as def
                          from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_namespace n on n.oid = ic.relnamespace
                         where n.nspname = ? order by 1`),
      views: await q(`select c.relname, pg_get_viewdef(c.oid, true) as def from pg_class c join pg_namespace n on n.oid = c.relnamespace
                       where n.nspname = ? and c.relkind in ('v', 'm') order by 1`),
      functions: await q(`select p.proname, pg_get_function_arguments(p.oid) as args, pg_get_function_result(p.oid) as result,
                                 p.prosrc, p.provolatile, p.proisstrict, p.prosecdef, p.proparallel, p.proconfig, p.proacl::text,
                                 obj_description(p.oid, 'pg_proc') as comment,
                                 case when p.prosqlbody is not null then pg_get_function_sqlbody(p.oid) end as body
                            from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = ? order by 1, 2`),
      triggers: await q(`select c.relname, t.tgname, pg_get_triggerdef(t.oid, true) as def, t.tgenabled
                           from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
                          where n.nspname = ? and not t.tgisinternal order by 1, 2`),
      sequences: await q(`select c.relname, s.seqtypid::regtype::text, s.seqstart::text, s.seqincrement::text, s.seqmax::text,
                                 s.seqmin::text, s.seqcache::text, s.seqcycle, ps.last_value::text
                            from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
                            join pg_sequences ps on ps.schemaname = n.nspname and ps.sequencename = c.relname
                           where n.nspname = ? order by 1`),
      types: await q(`select t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod) as base, t.typnotnull, t.typdefault,
                             (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) as labels
                        from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = ? order by 1`),
      schema: await q(`select nspacl::text, obj_description(oid, 'pg_namespace') as comment from pg_namespace where nspname = ?`),
    })
  })
}

/** Row count and an md5 of every row's text form, per table of the schema. */
export async function rowChecksums(knex: Knex, schema: string): Promise<Record<string, { rows: number; md5: string | null }>> {
  const { rows: tables } = await knex.raw(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relkind = 'r' order by 1`,
    [schema],
  )
  const out: Record<string, { rows: number; md5: string | null }> = {}
  for (const { relname } of tables) {
    const { rows } = await knex.raw(`select count(*)::int as rows, md5(string_agg(t::text, E'\\n' order by t::text)) as md5 from "${schema}"."${relname}" t`)
    out[relname] = rows[0]
  }
  return out
}
