import type { Knex } from 'knex'

import { conflict, notFound, usageError } from '../errors.js'
import { escapeLike, optionalText, Problems } from '../validation.js'

/**
 * Categories form a tree. Each row keeps its full path ('Hardware/Fasteners'), maintained here:
 * filtering by a category and everything under it is one indexed prefix match on that path. A name
 * may hold "/" ("Grains/Cereals"): in a path it is written "\/" (and a "\" as "\\"), so
 * 'Food/Grains\/Cereals' is Grains/Cereals under Food, and no prefix match of 'Grains/' reaches it.
 */
export interface Category {
  id: string
  name: string
  path: string
  parentId: string | null
  description: string | null
  /** Products directly in this category (not archived), in listings only. */
  products?: number
  createdAt: Date
}

export const MAX_CATEGORY_NAME = 100

const SELECT = { id: 'id', name: 'name', path: 'path', parentId: 'parent_id', description: 'description', createdAt: 'created_at' }

/** A name as a path segment: "/" and "\" escaped with a backslash. */
export function escapeCategoryName(name: string): string {
  return name.replace(/[\\/]/g, (c) => `\\${c}`)
}

/** Names (root first) → the path: ['Food', 'Grains/Cereals'] → 'Food/Grains\/Cereals'. */
export function formatCategoryPath(names: readonly string[]): string {
  return names.map(escapeCategoryName).join('/')
}

/** A path → its names: "/" separates unless escaped; "\/" is "/", "\\" is "\", another "\" is itself. */
export function splitCategoryPath(path: string): string[] {
  const names: string[] = []
  let name = ''
  for (let i = 0; i < path.length; i++) {
    const c = path[i]
    if (c === '\\' && (path[i + 1] === '/' || path[i + 1] === '\\')) name += path[++i]
    else if (c === '/') {
      names.push(name)
      name = ''
    } else name += c
  }
  names.push(name)
  return names
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * 'Hardware / Fasteners/' → ['Hardware', 'Fasteners']: names are trimmed, empty ones refused, and
 * 'Grains\/Cereals' is one name, Grains/Cereals. Returns undefined after recording a problem.
 */
export function parseCategoryPath(problems: Problems, field: string, text: string): string[] | undefined {
  const segments = splitCategoryPath(text.trim())
  while (segments.length > 0 && segments[0] === '') segments.shift()
  while (segments.length > 0 && segments.at(-1) === '') segments.pop()
  const names = segments.map((s) => s.trim())
  if (names.length === 0 || names.some((s) => s === '')) {
    problems.add(field, `"${text}" is not a category path (write it like Hardware/Fasteners; a "/" inside a name as \\/)`)
    return undefined
  }
  return checkCategoryNames(problems, field, names)
}

/** Names as they are stored: not empty, at most MAX_CATEGORY_NAME characters, no control characters. */
export function checkCategoryNames(problems: Problems, field: string, names: string[]): string[] | undefined {
  const long = names.find((s) => s.length > MAX_CATEGORY_NAME)
  if (long) {
    problems.add(field, `category names are at most ${MAX_CATEGORY_NAME} characters ("${long.slice(0, 20)}…")`)
    return undefined
  }
  if (names.some((s) => CONTROL.test(s))) {
    problems.add(field, 'a category name cannot hold control characters (tabs, line breaks…)')
    return undefined
  }
  return names
}

function pathOrUsage(text: string, field: string): string {
  const problems = new Problems()
  const segments = parseCategoryPath(problems, field, text)
  if (!segments) throw usageError(problems.list.map((p) => p.message).join('; '))
  return formatCategoryPath(segments)
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
  description?: string | null
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
    problems.add('path', `with --parent, give the new category's name only (a "/" in it as \\/; got "${input.path}")`)
  }
  const description = optionalText(problems, 'description', input.description, 2000)
  problems.throwIfAny('The category was not created')
  const segments = [...parentSegments!, ...ownSegments!]
  const path = formatCategoryPath(segments)

  if (await findCategory(trx, path)) {
    throw conflict(`Category "${path}" already exists`, { actions: ['List categories with: erp categories list'], data: { category: path } })
  }
  const created: Category[] = []
  let parent: Category | undefined
  for (let depth = 1; depth < segments.length; depth++) {
    const ancestorPath = formatCategoryPath(segments.slice(0, depth))
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
  const category = await insertCategory(trx, segments.at(-1)!, path, parent, description)
  created.push(category)
  return { category, created }
}

async function insertCategory(trx: Knex.Transaction, name: string, path: string, parent: Category | undefined, description?: string | null): Promise<Category> {
  const [row] = await trx('categories')
    .insert({ name, path, parent_id: parent?.id ?? null, description: description ?? null })
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

/**
 * Categories as a tree read top-down (each one right under its parent), with how many products each
 * holds directly. Sorted here by their names, level by level: sorting the path text put
 * 'Grains Extra' and 'Grains-x' between 'Grains' and 'Grains/Cereals' (a space and '-' sort before
 * '/'), so a child was listed away from its parent, under another category.
 */
export async function listCategories(trx: Knex.Transaction, input: ListCategoriesInput = {}): Promise<Category[]> {
  const query = trx('categories as c')
    .select({ id: 'c.id', name: 'c.name', path: 'c.path', parentId: 'c.parent_id', description: 'c.description', createdAt: 'c.created_at' })
    .select(trx.raw(`coalesce(n.products, 0)::int as products`))
    .leftJoin(
      trx('products').select('category_id').count({ products: '*' }).whereNull('archived_at').groupBy('category_id').as('n'),
      'n.category_id',
      'c.id',
    )
  if (input.under !== undefined) {
    const root = await getCategory(trx, input.under)
    query.where((q) => q.where('c.path', root.path).orWhereRaw(`c.path like ? escape '\\'`, [`${escapeLike(root.path)}/%`]))
  }
  return sortAsTree(await query)
}

/** Parents before children, siblings by name (case first ignored, then not), whatever the characters. */
export function sortAsTree<C extends { path: string }>(categories: C[]): C[] {
  const keyed = categories.map((c) => ({ c, names: splitCategoryPath(c.path) }))
  keyed.sort((a, b) => {
    for (let i = 0; i < Math.min(a.names.length, b.names.length); i++) {
      const order = TREE_ORDER.compare(a.names[i], b.names[i]) || (a.names[i] < b.names[i] ? -1 : a.names[i] > b.names[i] ? 1 : 0)
      if (order !== 0) return order
    }
    return a.names.length - b.names.length
  })
  return keyed.map((k) => k.c)
}

const TREE_ORDER = new Intl.Collator('en', { sensitivity: 'base', numeric: true })

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
  if (nameSegments && nameSegments.length > 1) problems.add('name', `give one name (a "/" in it as \\/; got "${input.name}")`)
  problems.throwIfAny('The category was not moved')

  const from = formatCategoryPath(fromSegments!)
  // Lock the subtree first: concurrent creates under it wait for us, then see the new paths.
  await categorySubtreeIds(trx, from).forUpdate()
  const category = await findCategory(trx, from)
  if (!category) throw unknownCategory(from)

  let parent: Category | undefined
  if (toSegments) {
    const parentPath = formatCategoryPath(toSegments)
    parent = await findCategory(trx, parentPath, true)
    if (!parent) throw unknownCategory(parentPath)
    if (parent.path === from || parent.path.startsWith(`${from}/`)) {
      throw usageError(`Cannot move "${from}" under itself ("${parent.path}")`)
    }
  } else if (!toRoot && category.parentId !== null) {
    parent = await trx('categories').select(SELECT).where('id', category.parentId).forShare().first()
  }
  const name = nameSegments?.[0] ?? category.name
  const target = parent ? `${parent.path}/${escapeCategoryName(name)}` : escapeCategoryName(name)
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
