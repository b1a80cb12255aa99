import { expect } from 'chai'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import { ErpError } from '../../../src/lib/errors.js'
import {
  currentProfileName,
  getProfile,
  listProfiles,
  type Profile,
  profileFromUrl,
  removeProfile,
  saveProfile,
  setCurrentProfile,
  validateProfileName,
} from '../../../src/lib/auth/profiles.js'

const posixOnly = process.platform === 'win32' ? it.skip : it

/** Runs `fn` and returns what it threw. */
async function caught(fn: () => unknown): Promise<ErpError> {
  try {
    await fn()
  } catch (err) {
    expect(err).to.be.instanceOf(ErpError)
    return err as ErpError
  }
  throw new Error('expected an error')
}

const profile = (name: string, extra: Partial<Profile> = {}): Profile => ({
  name,
  kind: 'admin',
  host: 'db.example.com',
  port: 5432,
  database: 'erp',
  user: 'erp_owner',
  createdAt: '2024-01-02T03:04:05.000Z',
  ...extra,
})

describe('profiles', () => {
  // Taken before the tests run, not at load time: the root hooks set DATABASE_URL after loading,
  // and restoring an earlier copy would point every later test at another database.
  let savedEnv: NodeJS.ProcessEnv
  before(() => {
    savedEnv = { ...process.env }
  })
  let tmp: string
  let file: string

  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'erp-profiles-'))
    process.env.ERP_CONFIG_DIR = tmp
    file = path.join(tmp, 'profiles.json')
  })

  afterEach(async () => {
    process.env = { ...savedEnv }
    await fs.rm(tmp, { recursive: true, force: true })
  })

  it('starts empty', async () => {
    expect(await listProfiles()).to.deep.equal([])
    expect(await currentProfileName()).to.equal(undefined)
  })

  it('saves, lists (by name), replaces and removes profiles', async () => {
    await saveProfile(profile('prod'))
    await saveProfile(profile('acme', { kind: 'tenant', tenant: 'acme', user: 'erp_tenant_acme_login' }))
    expect((await listProfiles()).map((p) => p.name)).to.deep.equal(['acme', 'prod'])
    expect(await getProfile('acme')).to.deep.equal(
      profile('acme', { kind: 'tenant', tenant: 'acme', user: 'erp_tenant_acme_login' }),
    )

    await saveProfile(profile('prod', { port: 6543 }))
    expect((await getProfile('prod')).port).to.equal(6543)

    expect(await removeProfile('prod')).to.equal(true)
    expect(await removeProfile('prod')).to.equal(false)
    expect((await listProfiles()).map((p) => p.name)).to.deep.equal(['acme'])
  })

  posixOnly('writes profiles.json with mode 0600 and refuses it once others can read it', async () => {
    await saveProfile(profile('prod'))
    expect((await fs.stat(file)).mode & 0o777).to.equal(0o600)
    await fs.chmod(file, 0o644)
    const err = await caught(() => listProfiles())
    expect(err.kind).to.equal('CONFIG')
    expect(err.message).to.include(`chmod 600 ${file}`)
  })

  it('says how to find the profiles when one is missing', async () => {
    const err = await caught(() => getProfile('nope'))
    expect(err.kind).to.equal('NOT_FOUND')
    expect(err.actions.join(' ')).to.include('erp auth list')
  })

  it('remembers the current profile and forgets it with the profile', async () => {
    await saveProfile(profile('prod'))
    await saveProfile(profile('staging'))
    await setCurrentProfile('prod')
    expect(await currentProfileName()).to.equal('prod')
    expect(JSON.parse(await fs.readFile(file, 'utf8')).current).to.equal('prod')

    expect((await caught(() => setCurrentProfile('nope'))).kind).to.equal('NOT_FOUND')
    expect(await currentProfileName()).to.equal('prod')

    await removeProfile('staging')
    expect(await currentProfileName()).to.equal('prod')
    await removeProfile('prod')
    expect(await currentProfileName()).to.equal(undefined)

    await saveProfile(profile('ci'))
    await setCurrentProfile('ci')
    await setCurrentProfile(undefined)
    expect(await currentProfileName()).to.equal(undefined)
  })

  it('validates profile names', async () => {
    for (const good of ['p', 'prod-admin', 'acme.ro', 'ci_tenant_2', 'x'.repeat(64)]) {
      expect(validateProfileName(good)).to.equal(good)
    }
    for (const bad of ['', 'a b', 'x'.repeat(65), 'prod/admin', 'préprod', '../etc']) {
      expect((await caught(() => validateProfileName(bad))).kind, bad).to.equal('USAGE')
    }
    expect((await caught(() => saveProfile(profile('a b')))).kind).to.equal('USAGE')
  })

  it('validates the rest of a profile', async () => {
    expect((await caught(() => saveProfile(profile('t', { kind: 'tenant' })))).message).to.include('needs a tenant')
    expect((await caught(() => saveProfile(profile('t', { kind: 'tenant', tenant: 'Bad Slug' })))).kind).to.equal('USAGE')
    expect((await caught(() => saveProfile(profile('p', { port: 70000 })))).kind).to.equal('USAGE')
    expect((await caught(() => saveProfile(profile('p', { host: '' })))).kind).to.equal('USAGE')
  })

  it('treats profile names like "__proto__" and "constructor" as plain keys', async () => {
    expect((await caught(() => getProfile('constructor'))).kind).to.equal('NOT_FOUND')
    await saveProfile(profile('__proto__'))
    expect((await getProfile('__proto__')).name).to.equal('__proto__')
    expect((await listProfiles()).map((p) => p.name)).to.deep.equal(['__proto__'])
  })

  describe('profileFromUrl', () => {
    it('splits the percent-decoded password off the profile', () => {
      const password = 'p@ss:w/rd#?%& é'
      const url = `postgres://erp_owner:${encodeURIComponent(password)}@db.example.com:6543/erp_prod?sslmode=require`
      const { profile: p, password: got } = profileFromUrl('prod', url, { kind: 'admin' })
      expect(got).to.equal(password)
      expect(p).to.include({
        name: 'prod',
        kind: 'admin',
        host: 'db.example.com',
        port: 6543,
        database: 'erp_prod',
        user: 'erp_owner',
        ssl: true,
      })
      expect(JSON.stringify(p)).to.not.include('p@ss')
      expect(Date.parse(p.createdAt)).to.not.be.NaN
    })

    it('decodes the user and database, and reads an unencoded "@" in the password', () => {
      const { profile: p, password } = profileFromUrl('x', 'postgresql://us%40er:p@ss@[::1]/my%20db', {
        kind: 'tenant',
        tenant: 'acme',
      })
      expect(p).to.include({ user: 'us@er', database: 'my db', host: '::1', port: 5432, tenant: 'acme' })
      expect(password).to.equal('p@ss')
    })

    it('applies libpq defaults and the host parameter', () => {
      const { profile: p, password } = profileFromUrl('x', 'postgres://erp@localhost/?host=/var/run/postgresql&sslmode=disable', {
        kind: 'admin',
      })
      expect(p).to.include({ host: '/var/run/postgresql', port: 5432, database: 'erp', ssl: false })
      expect(password).to.equal(undefined)
      expect(profileFromUrl('x', 'postgres://erp@localhost/erp?sslmode=prefer', { kind: 'admin' }).profile).to.not.have.property('ssl')
    })

    it('rejects bad URLs without echoing the password', async () => {
      const cases = [
        'not a url s3cret',
        'mysql://u:s3cret@h/d',
        'postgres://:s3cret@h/d',
        'postgres://u:s3cret%zz@h/d',
        'postgres://u:s3cret@h/d?application_name=x',
        'postgres://u:s3cret@h/d?sslmode=sometimes',
        'postgres://u:s3cret@h/a/b',
      ]
      for (const url of cases) {
        const err = await caught(() => profileFromUrl('x', url, { kind: 'admin' }))
        expect(err.kind, url).to.equal('USAGE')
        expect(JSON.stringify({ m: err.message, a: err.actions, d: err.data }), url).to.not.include('s3cret')
        expect(err.cause, url).to.equal(undefined)
      }
    })

    it('checks the profile it builds', async () => {
      expect((await caught(() => profileFromUrl('x', 'postgres://u@h/d', { kind: 'tenant' }))).message).to.include('needs a tenant')
      expect((await caught(() => profileFromUrl('bad name', 'postgres://u@h/d', { kind: 'admin' }))).kind).to.equal('USAGE')
    })
  })
})
