import type { Knex } from 'knex'

import { conflict, notFound, usageError } from '../errors.js'
import { escapeLike, Problems } from '../validation.js'

/**
 * Categories form a tree. Each row keeps its full path ('Hardware/Fasteners'), maintained here:
 * filtering by a category and everything under it is one indexed prefix match on that path.
 */
export interface Category {
  id: string
  name: string
  path: string
  parentId: string | null
  /** Products directly in this category (not archived), in listings only. */
  products?: number
  createdAt: Date
}

export const MAX_CATEGORY_NAME = 100

const SELECT = { id: 'id', name: 'name', path: 'path', parentId: 'parent_id', createdAt: 'created_at' }

/**
 * 'Hardware / Fasteners/' → ['Hardware', 'Fasteners']: segments are trimmed, empty ones refused.
 * Returns undefined after recording a problem.
 */
export function parseCategoryPath(problems: Problems, field: string, text: string): string[] | undefined {
  const raw = text.trim().replace(/^\/+|\/+$/g, '')
  const segments = raw.split('/').map((s) => s.trim())
  if (raw === '' || segments.some((s) => s === '')) {
    problems.add(field, `"${text}" is not a category path (write it like Hardware/Fasteners)`)
    return undefined
  }
  const long = segments.find((s) => s.length > MAX_CATEGORY_NAME)
  if (long) {
    problems.add(field, `category names are at most ${MAX_CATEGORY_NAME} characters ("${long.slice(0, 20)}…")`)
    return undefined
  }
  return segments
}

function pathOrUsage(text: string, field: string): string {
  const problems = new Problems()
  const segments = parseCategoryPath(problems, field, text)
  if (!segments) throw usageError(problems.list.map((p) => p.message).join('; '))
  return segments.join('/')
}

/** The category at a path; `lock` takes a share lock so a concurrent move waits (or wins first). */
export async function findCategory(trx: Knex.Transaction, path: string, lock = false): Promise<Category | undefined> {
  const query = trx('categories').select(SELECT).where('path', path).first()
  if (lock) query.forShare()
  return query
}

export async function getCategory(trx: Knex.Transaction, path: string): Promise<Category> {
  const normalised = pathOrUsage(path, 'category')
  const category = await findCategory(trx, normalised)
  if (!category) throw unknownCategory(normalised)
  return category
}

export function unknownCategory(path: string) {
  return notFound(`No category "${path}"`, {
    actions: ['List categories with: erp categories list', `Create it with: erp categories create "${path}" --parents`],
    data: { category: path },
  })
}

export interface CreateCategoryInput {
  /** The full path of the new category, or its name when `parent` is given. */
  path: string
  parent?: string
  /** Create missing ancestors too (mkdir -p). Without it a missing parent is an error. */
  parents?: boolean
}

export interface CreatedCategories {
  category: Category
  /** Every category this call created, ancestors first. */
  created: Category[]
}

export async function createCategory(trx: Knex.Transaction, input: CreateCategoryInput): Promise<CreatedCategories> {
  const problems = new Problems()
  const parentSegments = input.parent === undefined ? [] : parseCategoryPath(problems, 'parent', input.parent)
  const ownSegments = parseCategoryPath(problems, 'path', input.path)
  if (input.parent !== undefined && ownSegments && ownSegments.length > 1) {
    problems.add('path', `with --parent, give the new category's name only, without "/" (got "${input.path}")`)
  }
  problems.throwIfAny('The category was not created')
  const segments = [...parentSegments!, ...ownSegments!]
  const path = segments.join('/')

  if (await findCategory(trx, path)) {
    throw conflict(`Category "${path}" already exists`, { actions: ['List categories with: erp categories list'], data: { category: path } })
  }
  const created: Category[] = []
  let parent: Category | undefined
  for (let depth = 1; depth < segments.length; depth++) {
    const ancestorPath = segments.slice(0, depth).join('/')
    const existing = await findCategory(trx, ancestorPath, true)
    if (existing) {
      parent = existing
      continue
    }
    if (!input.parents) {
      throw notFound(`Parent category "${ancestorPath}" does not exist`, {
        actions: [`Create the missing parents as well with --parents, or first: erp categories create "${ancestorPath}"`],
        data: { category: ancestorPath },
      })
    }
    parent = await insertCategory(trx, segments[depth - 1], ancestorPath, parent)
    created.push(parent)
  }
  const category = await insertCategory(trx, segments.at(-1)!, path, parent)
  created.push(category)
  return { category, created }
}

async function insertCategory(trx: Knex.Transaction, name: string, path: string, parent: Category | undefined): Promise<Category> {
  const [row] = await trx('categories')
    .insert({ name, path, parent_id: parent?.id ?? null })
    .onConflict('path')
    .ignore()
    .returning(Object.values(SELECT).map((c, i) => `${c} as ${Object.keys(SELECT)[i]}`))
  // Another session created the same path between our check and this insert.
  if (!row) throw conflict(`Category "${path}" already exists`, { data: { category: path } })
  return row
}

export interface ListCategoriesInput {
  /** Only this category and what is under it. */
  under?: string
}

/** Categories in path order (a tree read top-down), with how many products each holds directly. */
export async function listCategories(trx: Knex.Transaction, input: ListCategoriesInput = {}): Promise<Category[]> {
  const query = trx('categories as c')
    .select({ id: 'c.id', name: 'c.name', path: 'c.path', parentId: 'c.parent_id', createdAt: 'c.created_at' })
    .select(trx.raw(`coalesce(n.products, 0)::int as products`))
    .leftJoin(
      trx('products').select('category_id').count({ products: '*' }).whereNull('archived_at').groupBy('category_id').as('n'),
      'n.category_id',
      'c.id',
    )
    .orderBy('c.path')
  if (input.under !== undefined) {
    const root = await getCategory(trx, input.under)
    query.where((q) => q.where('c.path', root.path).orWhereRaw(`c.path like ? escape '\\'`, [`${escapeLike(root.path)}/%`]))
  }
  return query
}

/** SQL condition (for a products query) matching a category and every category under it. */
export function categorySubtreeIds(trx: Knex.Transaction, path: string): Knex.QueryBuilder {
  return trx('categories')
    .select('id')
    .where('path', path)
    .orWhereRaw(`path like ? escape '\\'`, [`${escapeLike(path)}/%`])
}

export interface MoveCategoryInput {
  path: string
  /** The new parent's path; '/' or '' moves the category to the top level. */
  to?: string
  /** A new name for the category. */
  name?: string
}

export interface MovedCategory {
  from: string
  category: Category
  /** The category and all categories under it whose path changed. */
  moved: number
}

/**
 * Move (and/or rename) a category with everything under it: one UPDATE rewrites the paths of the
 * whole subtree. Products keep their category (they refer to it by id).
 */
export async function moveCategory(trx: Knex.Transaction, input: MoveCategoryInput): Promise<MovedCategory> {
  if (input.to === undefined && input.name === undefined) {
    throw usageError('Nothing to do: give a new parent (--to) and/or a new name (--name)')
  }
  const problems = new Problems()
  const fromSegments = parseCategoryPath(problems, 'path', input.path)
  const toRoot = input.to !== undefined && input.to.trim().replace(/\/+/g, '') === ''
  const toSegments = input.to === undefined || toRoot ? undefined : parseCategoryPath(problems, 'to', input.to)
  const nameSegments = input.name === undefined ? undefined : parseCategoryPath(problems, 'name', input.name)
  if (nameSegments && nameSegments.length > 1) problems.add('name', `a name cannot contain "/" (got "${input.name}")`)
  problems.throwIfAny('The category was not moved')

  const from = fromSegments!.join('/')
  // Lock the subtree first: concurrent creates under it wait for us, then see the new paths.
  await categorySubtreeIds(trx, from).forUpdate()
  const category = await findCategory(trx, from)
  if (!category) throw unknownCategory(from)

  let parent: Category | undefined
  if (toSegments) {
    const parentPath = toSegments.join('/')
    parent = await findCategory(trx, parentPath, true)
    if (!parent) throw unknownCategory(parentPath)
    if (parent.path === from || parent.path.startsWith(`${from}/`)) {
      throw usageError(`Cannot move "${from}" under itself ("${parent.path}")`)
    }
  } else if (!toRoot && category.parentId !== null) {
    parent = await trx('categories').select(SELECT).where('id', category.parentId).forShare().first()
  }
  const name = nameSegments?.[0] ?? category.name
  const target = parent ? `${parent.path}/${name}` : name
  if (target === from) return { from, category, moved: 0 }
  if (await findCategory(trx, target)) {
    throw conflict(`Category "${target}" already exists`, { actions: ['Choose another name (--name) or parent (--to)'], data: { category: target } })
  }

  await trx('categories').where('id', category.id).update({ name, parent_id: parent?.id ?? null })
  // A new statement sees children created while we waited for the locks. New paths all start with
  // the target, which exists nowhere yet: no transient unique clash inside the UPDATE.
  const { rowCount } = await trx.raw(
    `update categories set path = ? || substr(path, char_length(?) + 1) where path = ? or path like ? escape '\\'`,
    [target, from, from, `${escapeLike(from)}/%`],
  )
  const moved = (await findCategory(trx, target))!
  return { from, category: moved, moved: rowCount ?? 0 }
}
