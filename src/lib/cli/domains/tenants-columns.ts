import type { Column } from '../render.js'
import type { Tenant } from '../../tenants/tenant.js'

/** How tenants show in a list; --columns picks among these. */
export const TENANT_COLUMNS: Column<Tenant>[] = [
  { key: 'slug' },
  { key: 'name' },
  { key: 'status' },
  { key: 'plan' },
  { key: 'schema' },
  { key: 'createdAt' },
]

/** Deleted tenants: where their data is kept, and until when. */
export const DELETED_TENANT_COLUMNS: Column<Tenant>[] = [
  { key: 'slug' },
  { key: 'name' },
  { key: 'schema' },
  { key: 'deletedAt' },
  { key: 'purgeAfter' },
]
