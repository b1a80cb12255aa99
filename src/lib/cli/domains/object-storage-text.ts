import type { ObjectStorageSettings } from '../../auth/profiles.js'

/** A profile's S3 settings in one line, for auth list and whoami: where, and whether keys are stored (never the keys). */
export function describeObjectStorage(s: ObjectStorageSettings | null | undefined): string {
  if (!s) return 'none (environment and AWS SDK chain)'
  return [
    s.endpoint ?? 'AWS S3',
    s.region && `region ${s.region}`,
    s.awsProfile && `AWS profile ${s.awsProfile}`,
    s.pathStyle !== undefined && `path style ${s.pathStyle ? 'on' : 'off'}`,
    `keys: ${s.credentials ?? 'not stored'}`,
  ].filter(Boolean).join(', ')
}
