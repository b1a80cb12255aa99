#!/usr/bin/env node
// npm run bench -- <suite> [--json]: runs bench/<suite>.ts (TypeScript through tsx).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const [suite, ...rest] = process.argv.slice(2)
const dir = fileURLToPath(new URL('.', import.meta.url))
const suites = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'lib.ts').map((f) => f.slice(0, -3))
if (!suite || !suites.includes(suite) || !existsSync(`${dir}${suite}.ts`)) {
  console.error(`usage: npm run bench -- <suite> [--json]\nsuites: ${suites.join(', ')}`)
  process.exit(2)
}
const { status } = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${suite}.ts`, ...rest], { stdio: 'inherit' })
process.exit(status ?? 1)
