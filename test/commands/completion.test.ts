import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { runCli, runProcess } from '../helpers/cli.js'
import { uniqueSlug } from '../helpers/database.js'

const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0

/**
 * Shell completion: oclif's plugin-autocomplete writes the functions, erp adds tenant slugs,
 * profile names and warehouse codes from its completion cache. The functions are run by the real
 * shells, as a <TAB> would run them.
 */
describe('shell completion (erp autocomplete) with names from the completion cache', () => {
  const slug = uniqueSlug('cmp')
  const other = uniqueSlug('cmp')
  let config: string
  let cache: string
  const env = () => ({ ERP_CONFIG_DIR: config, ERP_CACHE_DIR: cache })
  const cacheFile = () => path.join(config, 'completion-cache.tsv')

  before(async () => {
    config = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-cmp-config-'))
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-cmp-cache-'))
    for (const s of [slug, other]) expect((await runCli(['tenants', 'create', s, '--json'], { env: env() })).code).to.equal(0)
    expect((await runCli(['warehouses', 'create', 'LYON', '--tenant', other, '--json'], { env: env() })).code).to.equal(0)
    const r = await runProcess(['autocomplete', 'bash'], { env: env() })
    expect(r.code, r.stderr).to.equal(0)
    expect((await runProcess(['autocomplete', 'zsh'], { env: env() })).code).to.equal(0)
  })

  after(() => {
    for (const dir of [config, cache]) fs.rmSync(dir, { recursive: true, force: true })
  })

  const bashFile = () => path.join(cache, 'autocomplete', 'functions', 'bash', 'erp.bash')
  const zshFile = () => path.join(cache, 'autocomplete', 'functions', 'zsh', '_erp')

  /** What bash offers for the line (the last word is the one being completed). */
  function bash(words: string[], extraEnv: Record<string, string> = {}): string[] {
    const script = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _erp_complete; printf '%s\\n' "\${COMPREPLY[@]}"`
    const out = execFileSync('bash', ['-c', script, 'bash', bashFile(), 'erp', ...words], { env: { ...process.env, ...env(), ...extraEnv }, encoding: 'utf8' })
    return [...new Set(out.split('\n').filter(Boolean))]
  }

  /** What zsh's function hands compadd for the line, the completion builtins stubbed. */
  function zsh(words: string[]): string[] {
    const script = `_arguments() { :; }; _values() { :; }; compset() { :; }; compadd() { shift; print -rl -- "$@"; }
source "$1"; shift; words=(erp "$@"); CURRENT=$(( $# + 1 )); _erp`
    const out = execFileSync('zsh', ['-c', script, 'zsh', zshFile(), ...words], { env: { ...process.env, ...env() }, encoding: 'utf8' })
    return out.split('\n').filter(Boolean)
  }

  it('the commands that see names note them, and nothing else: no URL, user or secret, mode 0600', async () => {
    expect((await runCli(['tenants', 'list', '--json'], { env: env() })).code).to.equal(0)
    const text = fs.readFileSync(cacheFile(), 'utf8')
    expect(text).to.contain(`tenant\t${slug}\n`).and.contain(`warehouse\tMAIN\t${slug}\n`).and.contain(`warehouse\tLYON\t${other}\n`)
    for (const line of text.trim().split('\n')) expect(line).to.match(/^(tenant|profile)\t[\w.-]+$|^warehouse\t[\w.-]+\t[\w.-]+$/)
    expect(text).not.to.match(/postgres|:\/\/|password/i)
    expect(fs.statSync(cacheFile()).mode & 0o777).to.equal(0o600)
  })

  it('bash completes tenant slugs, warehouse codes of the tenant on the line, and still the commands', () => {
    expect(bash(['tenants', 'show', ''])).to.include.members([slug, other])
    expect(bash(['tenants', 'show', slug.slice(0, -2)])).to.deep.equal([slug])
    expect(bash(['stock', 'levels', '--tenant', ''])).to.include(slug)
    expect(bash(['stock', 'levels', '-t', other, '--warehouse', ''])).to.have.members(['LYON', 'MAIN'])
    expect(bash(['stock', 'levels', '--tenant', slug, '-w', ''])).to.deep.equal(['MAIN'])
    expect(bash(['stock', 'levels', '-w', ''], { ERP_TENANT: other })).to.have.members(['LYON', 'MAIN'])
    expect(bash(['tena'])).to.deep.equal(['tenants']) // oclif's command completion, under erp's layer
  })

  it('zsh completes the same', function () {
    if (!hasZsh) this.skip()
    expect(zsh(['tenants', 'show', ''])).to.include.members([slug, other])
    expect(zsh(['stock', 'levels', '--tenant', other, '--warehouse', ''])).to.have.members(['LYON', 'MAIN'])
  })

  it('a cache line a shell would expand is never run nor offered', function () {
    const marker = path.join(config, 'pwned')
    fs.appendFileSync(cacheFile(), `tenant\t$(touch ${marker})\ntenant\t\`touch ${marker}\`\ntenant\t-rf\n`)
    const offered = bash(['tenants', 'show', ''])
    if (hasZsh) offered.push(...zsh(['tenants', 'show', '']))
    expect(offered.filter((v) => !/^[a-z0-9_]+$/.test(v))).to.deep.equal([])
    expect(fs.existsSync(marker)).to.equal(false)
  })

  it('profiles come from auth login/logout/list; running erp autocomplete again adds the layer once', async () => {
    const url = new URL(process.env.DATABASE_URL!)
    const password = decodeURIComponent(url.password)
    url.password = ''
    const secret = password ? ['--password-stdin'] : ['--no-password']
    const login = await runCli(['auth', 'login', 'cmpadmin', '--url', url.toString(), ...secret, '--json'], { env: env(), input: `${password}\n` })
    expect(login.code, login.stdout).to.equal(0)
    expect(bash(['auth', 'use', 'cmp'])).to.deep.equal(['cmpadmin'])
    expect(bash(['tenants', 'list', '--profile', ''])).to.deep.equal(['cmpadmin'])
    if (password) expect(fs.readFileSync(cacheFile(), 'utf8')).not.to.contain(password)
    expect((await runCli(['auth', 'logout', 'cmpadmin', '--json'], { env: env() })).code).to.equal(0)
    expect(bash(['auth', 'use', ''])).to.deep.equal([])
    expect((await runProcess(['autocomplete', '--refresh-cache'], { env: env() })).code).to.equal(0)
    expect(fs.readFileSync(bashFile(), 'utf8').match(/_erp_complete\(\)/g)).to.have.length(1)
  })
})
