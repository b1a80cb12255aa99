/**
 * The erp profile a command runs with, for what is resolved away from its database connection (the
 * S3 settings of `backup list --dir s3://…`, which connects to nothing). Same order as the
 * connection's (connection-target.ts): --profile, ERP_PROFILE, then, unless DATABASE_URL says
 * where to connect, the current profile (erp auth use). The command notes its --profile on start.
 */

let profileFlag: string | undefined
let command = 0

/** Called by every command once its flags are parsed (also clears an earlier command's, in tests). */
export function noteProfileFlag(name: string | undefined): void {
  profileFlag = name
  command++
}

/** Changes with every command run in this process: what is resolved from the profile may be kept for one. */
export function commandRun(): number {
  return command
}

export async function activeProfileName(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (profileFlag) return profileFlag
  if (env.ERP_PROFILE) return env.ERP_PROFILE
  if (env.DATABASE_URL) return undefined
  const { currentProfileName } = await import('./profiles.js')
  return currentProfileName()
}
