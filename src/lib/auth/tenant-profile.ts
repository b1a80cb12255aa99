import type { Endpoint } from '../db/connect.js'
import type { TenantLogin } from '../tenants/credentials.js'
import { openCredentialStore, type StoreName } from './credential-store.js'
import { saveProfile, validateProfileName } from './profiles.js'

/**
 * Store a tenant login as a profile on the same server the admin is connected to: the profile in
 * profiles.json, the secret in the credential store. Returns which store took the secret.
 */
export async function saveTenantProfile(
  name: string,
  login: TenantLogin,
  endpoint: Endpoint,
  onWarning?: (message: string) => void,
): Promise<StoreName> {
  validateProfileName(name)
  const store = await openCredentialStore({ onWarning })
  await store.set(name, login.password)
  await saveProfile({
    name,
    kind: 'tenant',
    tenant: login.tenant,
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: login.role,
    ...(endpoint.embedded ? { embedded: true } : {}),
    secretStore: store.name,
    createdAt: new Date().toISOString(),
  })
  return store.name
}
