import { checkCategoryNames, formatCategoryPath, parseCategoryPath } from '../catalog/categories.js'
import { optionalText } from '../validation.js'
import { checkCaseOnlyKeys, type NaturalKey } from './natural-key.js'
import { rejectRepeatedKeys } from './repeats.js'
import { categoryLevelsSql } from './products.js'
import { guardFormulaSql, type EntitySpec, type MergeCounts, type StagedImport } from './spec.js'

const PATH_KEY: NaturalKey = { field: 'path', table: 'categories', label: 'category path', noun: 'category at this path', thing: 'category' }

/**
 * The category tree from a file: each row a category, by its path ('Food/Grains\/Cereals', a "/"
 * inside a name escaped as "\/"), or by its parent's path and its own name in two columns (the
 * name taken as written, "/" and all), with a description. Missing ancestors are created too (they
 * are counted apart); levels are written top-down, one INSERT … SELECT per depth.
 */
export const categoriesSpec: EntitySpec<Record<string, never>> = {
  entity: 'categories',
  key: 'path',
  keyFrom: ['name'],

  async fields() {
    return [
      {
        key: 'path',
        aliases: ['category', 'category path'],
        text: true,
        check: (p, v) => {
          if (v.trim() === '') return null
          const names = parseCategoryPath(p, 'path', v)
          return names && formatCategoryPath(names)
        },
      },
      {
        key: 'parent',
        aliases: ['parent path', 'parent category'],
        text: true,
        check: (p, v) => {
          if (v.trim() === '') return null
          const names = parseCategoryPath(p, 'parent', v)
          return names && formatCategoryPath(names)
        },
      },
      { key: 'name', aliases: ['category name'], text: true, check: (p, v) => (v.trim() === '' ? null : checkCategoryNames(p, 'name', [v.trim()])?.[0]) },
      { key: 'description', text: true, check: (p, v) => optionalText(p, 'description', v, 2000) ?? null },
    ]
  },

  /** A row gives its path, or its name (and parent): the path is built from those. */
  checkRow(problems, row) {
    const name = row.name ?? null
    const parent = row.parent ?? null
    if (row.path) {
      if (name !== null || parent !== null) problems.add('path', 'give the path, or the parent and the name, not both')
      return
    }
    if (name === null) {
      if (parent === null) problems.add('path', 'needs a path, or a name (with its parent)')
      else problems.add('name', 'needs a name under its parent')
      return
    }
    row.path = parent === null ? formatCategoryPath([name]) : `${parent}/${formatCategoryPath([name])}`
  },

  async validate(staged) {
    const { trx, mode, columns, rows, errors } = staged
    const path = columns.get('path')!
    await checkCaseOnlyKeys(staged, PATH_KEY)
    await rejectRepeatedKeys(trx, errors, {
      from: rows,
      key: `s.${path}`,
      field: 'path',
      value: `s.${path}`,
      message: (first) => `'the category is in the file twice (first on line ' || ${first} || ')'`,
    })
    if (mode === 'insert') {
      await trx.raw(`insert into ${errors} (line, field, value, message)
        select s.line, 'path', s.${path}, 'the category exists (import with --mode upsert to update it)'
        from ${rows} s join categories c on c.path = s.${path}`)
    }
    if (mode === 'update') {
      await trx.raw(`insert into ${errors} (line, field, value, message)
        select s.line, 'path', s.${path}, 'no category at this path (import with --mode upsert to create it)'
        from ${rows} s where not exists (select 1 from categories c where c.path = s.${path})`)
    }
  },

  async merge(staged) {
    const { trx, mode, dryRun, columns, rows } = staged
    const path = columns.get('path')!
    const description = columns.get('description')
    const { rows: counted } = await trx.raw(`select count(*) filter (where c.id is null)::int as inserted,
        count(*) filter (where c.id is not null and ${description ? `c.description is distinct from s.${description}` : 'false'})::int as updated
      from ${rows} s left join categories c on c.path = s.${path}`)
    const inserted: number = mode === 'update' ? 0 : counted[0].inserted
    const updated: number = mode === 'insert' ? 0 : counted[0].updated
    const levels = await createLevels(staged, path, description, dryRun || mode === 'update')
    if (!dryRun && description && updated > 0) {
      await trx.raw(`update categories c set description = s.${description} from ${rows} s
        where c.path = s.${path} and c.description is distinct from s.${description}`)
    }
    return { inserted, updated, extra: { ancestorsCreated: levels - inserted } } satisfies MergeCounts
  },
}

/** The rows' categories and their missing ancestors, created level by level (or counted). */
async function createLevels({ trx, rows, staging }: StagedImport, path: string, description: string | undefined, countOnly: boolean): Promise<number> {
  const levels = await staging.create('import_levels', `as ${categoryLevelsSql(`select distinct ${path} as path from ${rows}`)}`)
  const { rows: missing } = await trx.raw(`select count(*)::int as n, coalesce(max(depth), 0) as depth from ${levels} i
    where not exists (select 1 from categories c where c.path = i.path)`)
  if (countOnly || missing[0].n === 0) return missing[0].n
  let created = 0
  for (let depth = 1; depth <= missing[0].depth; depth++) {
    const result = await trx.raw(`insert into categories (name, parent_id, path, description)
      select i.name, parent.id, i.path, ${description ? `s.${description}` : 'null'} from ${levels} i
        left join categories parent on parent.path = i.parent
        left join ${rows} s on s.${path} = i.path
      where i.depth = ? and not exists (select 1 from categories c where c.path = i.path)
      on conflict (path) do nothing`, [depth])
    created += result.rowCount ?? 0
  }
  return created
}

/** Every category, parents first, as CSV that import categories takes back: path and description. */
export function exportCategoriesSql(): string {
  return `copy (select ${guardFormulaSql('c.path')} as path, ${guardFormulaSql('c.description')} as description
    from categories c order by array_length(string_to_array(c.path, '/'), 1), c.path) to stdout with (format csv, header true)`
}
