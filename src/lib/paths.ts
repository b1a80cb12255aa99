import envPaths from 'env-paths'
import os from 'node:os'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const userPaths = envPaths('erp', { suffix: '' })

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0

/**
 * Where erp keeps the embedded server's data. Root gets a system location, because the server runs
 * as an unprivileged user that cannot enter /root.
 */
export function dataDir(): string {
  if (process.env.ERP_DATA_DIR) return path.resolve(process.env.ERP_DATA_DIR)
  return isRoot() && os.platform() !== 'win32' ? '/var/lib/erp' : userPaths.data
}

/** Where profiles and the fallback credentials file live. */
export function configDir(): string {
  if (process.env.ERP_CONFIG_DIR) return path.resolve(process.env.ERP_CONFIG_DIR)
  return userPaths.config
}

export { isRoot }

/** The folder of erp's own package.json, from the sources (tsx) and from dist/ alike. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error('erp: cannot find its package.json')
    dir = parent
  }
  return dir
}
