import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(path.join(ROOT, 'package.json'))
// semver as @oclif/core resolves it (a dependency of it, so always installed beside it).
const semver = createRequire(require.resolve('@oclif/core'))('semver') as { minVersion(range: string): { version: string }; satisfies(v: string, range: string): boolean }

/**
 * erp promises Node 20 (package.json engines). Several libraries have moved to Node 22 in a new
 * major (@oclif/plugin-* 4.x, @oclif/table): every runtime dependency, as installed, must accept
 * the oldest Node erp accepts.
 */
describe('dependencies run on the Node versions erp accepts', () => {
  it('every runtime dependency accepts the lowest Node of package.json engines', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
    const lowest = semver.minVersion(pkg.engines.node).version
    expect(semver.satisfies(lowest, '>=20 <21')).to.equal(true)
    const refusing: string[] = []
    for (const name of [...Object.keys(pkg.dependencies), ...(pkg.oclif.plugins ?? [])]) {
      // Read from node_modules: some packages' exports do not list their package.json.
      const dep = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'))
      const range = dep.engines?.node
      if (range && !semver.satisfies(lowest, range)) refusing.push(`${name}@${dep.version} wants node ${range}`)
    }
    expect(refusing).to.deep.equal([])
  })
})
