import { usageError } from '../errors.js'

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
  /** The role owning the schema and everything in it; erp logs in as it to act for the tenant. */
  ownerRole: string
  /** LOGIN role whose credentials go into the tenant's profiles. */
  loginRole: string
}

/**
 * What every role a registry creates starts with (erp.registry_info.role_prefix): roles are
 * server-wide, so two registries on one server keep apart by prefix. 'erp_' + up to 11 characters
 * + '_' leaves room for a 40-character slug and '__login' in PostgreSQL's 63.
 */
const ROLE_PREFIX_PATTERN = /^erp_[a-z0-9_]{1,11}_$/

export function tenantSchema(slug: string): string {
  return `tenant_${validateSlug(slug)}`
}

/**
 * The names of a new tenant's objects. The login role ends in '__login', and no slug contains a
 * double underscore, so no slug's owner role can be another slug's login role (x and x_login).
 * Existing tenants keep the names recorded in their registry row, whatever this function says now.
 */
export function tenantNames(slug: string, rolePrefix: string): TenantNames {
  validateSlug(slug)
  if (!ROLE_PREFIX_PATTERN.test(rolePrefix)) throw usageError(`Invalid role prefix ${JSON.stringify(rolePrefix)}`)
  return {
    slug,
    schema: tenantSchema(slug),
    ownerRole: `${rolePrefix}${slug}`,
    loginRole: `${rolePrefix}${slug}__login`,
  }
}
