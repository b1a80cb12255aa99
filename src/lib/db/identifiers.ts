import { usageError } from '../cli/errors.js'

/**
 * The one place that turns tenant slugs into SQL identifiers. Only names built here are ever
 * interpolated into SQL; values are always bound parameters.
 */

const SLUG_PATTERN = /^[a-z][a-z0-9_]{1,39}$/

/** Words a slug may not be: they would read as keywords, system schemas or our own names. */
const RESERVED_SLUGS = new Set([
  'all', 'admin', 'default', 'erp', 'information_schema', 'none', 'null', 'pg', 'postgres', 'public',
  'registry', 'root', 'select', 'system', 'table', 'template', 'tenant', 'tenants', 'user', 'users',
])

export function validateSlug(slug: string, what = 'tenant slug'): string {
  if (typeof slug !== 'string' || !SLUG_PATTERN.test(slug) || slug.includes('__')) {
    throw usageError(
      `Invalid ${what} ${JSON.stringify(slug)}: use 2–40 characters, lowercase letters, digits and single underscores, starting with a letter.`,
      { actions: ['Example: acme, acme_uk, shop2'] },
    )
  }
  if (RESERVED_SLUGS.has(slug) || slug.startsWith('pg_')) {
    throw usageError(`The ${what} ${JSON.stringify(slug)} is reserved; choose another.`)
  }
  return slug
}

/** Double-quote an identifier, escaping embedded quotes (PostgreSQL's quote_ident rule). */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 63 || name.includes('\0')) {
    throw usageError(`Invalid SQL identifier ${JSON.stringify(name)}`)
  }
  return `"${name.replaceAll('"', '""')}"`
}

/** A SQL string literal (standard_conforming_strings is on: backslashes are plain characters). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

export const REGISTRY_SCHEMA = 'erp'

/** Names of the database objects that belong to one tenant. */
export interface TenantNames {
  slug: string
  /** The schema holding the tenant's data. */
  schema: string
  /** NOLOGIN role owning the schema and everything in it. */
  ownerRole: string
  /** LOGIN role whose credentials go into the tenant's profiles. */
  loginRole: string
}

export function tenantNames(slug: string): TenantNames {
  validateSlug(slug)
  return {
    slug,
    schema: `tenant_${slug}`,
    ownerRole: `erp_tenant_${slug}`,
    loginRole: `erp_tenant_${slug}_login`,
  }
}
