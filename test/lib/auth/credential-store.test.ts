import { expect } from 'chai'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import { ErpError } from '../../../src/lib/errors.js'
import { FileStore, keychainUsable, openCredentialStore } from '../../../src/lib/auth/credential-store.js'

const SECRET = 's3cr3t-Pa55:w@rd'
const posixOnly = process.platform === 'win32' ? it.skip : it

/** Runs `fn` and returns what it threw. */
async function caught(fn: () => Promise<unknown>): Promise<ErpError> {
  try {
    await fn()
  } catch (err) {
    expect(err).to.be.instanceOf(ErpError)
    return err as ErpError
  }
  throw new Error('expected an error')
}

const modeOf = async (file: string) => (await fs.stat(file)).mode & 0o777

describe('credential store', () => {
  // Taken before the tests run, not at load time: the root hooks set DATABASE_URL after loading,
  // and restoring an earlier copy would point every later test at another database.
  let savedEnv: NodeJS.ProcessEnv
  before(() => {
    savedEnv = { ...process.env }
  })
  let tmp: string
  let dir: string
  let file: string

  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'erp-creds-'))
    dir = path.join(tmp, 'config') // not created yet: the store must create it
    file = path.join(dir, 'credentials.json')
    process.env.ERP_CONFIG_DIR = dir
    delete process.env.ERP_CREDENTIAL_STORE
  })

  afterEach(async () => {
    process.env = { ...savedEnv }
    await fs.rm(tmp, { recursive: true, force: true })
  })

  describe('FileStore', () => {
    posixOnly('creates the directory 0700 and the file 0600', async () => {
      await new FileStore().set('prod', SECRET)
      expect(await modeOf(dir)).to.equal(0o700)
      expect(await modeOf(file)).to.equal(0o600)
    })

    it('stores, reads and deletes secrets by profile', async () => {
      const store = new FileStore()
      expect(store.location).to.equal(file)
      expect(await store.get('prod')).to.equal(undefined)
      await store.set('prod', SECRET)
      await store.set('ci', 'other')
      expect(await store.get('prod')).to.equal(SECRET)
      expect(await store.delete('prod')).to.equal(true)
      expect(await store.delete('prod')).to.equal(false)
      expect(await store.get('prod')).to.equal(undefined)
      expect(await store.get('ci')).to.equal('other')
    })

    it('warns once, before it first creates the file', async () => {
      const warnings: string[] = []
      const store = new FileStore({ onFirstWrite: (m) => warnings.push(m) })
      await store.set('prod', SECRET)
      await store.set('ci', 'other')
      expect(warnings).to.have.length(1)
      expect(warnings[0]).to.include(file).and.include('0600').and.not.include(SECRET)
    })

    it('does not create the file to delete from it', async () => {
      expect(await new FileStore().delete('prod')).to.equal(false)
      await fs.access(file).then(
        () => expect.fail('credentials.json should not exist'),
        () => undefined,
      )
    })

    posixOnly('refuses to read a file other users can read, without echoing the secret', async () => {
      await new FileStore().set('prod', SECRET)
      await fs.chmod(file, 0o644)
      const err = await caught(() => new FileStore().get('prod'))
      expect(err.kind).to.equal('CONFIG')
      expect(err.message).to.include(file).and.include('0644').and.include(`chmod 600 ${file}`)
      expect(JSON.stringify({ message: err.message, actions: err.actions, data: err.data })).to.not.include(SECRET)
    })

    posixOnly('narrows a wider file to 0600 when writing, keeping its entries', async () => {
      await new FileStore().set('prod', SECRET)
      await fs.chmod(file, 0o644)
      const warnings: string[] = []
      await new FileStore({ onModeTightened: (m) => warnings.push(m) }).set('ci', 'other')
      expect(await modeOf(file)).to.equal(0o600)
      expect(warnings).to.have.length(1)
      expect(warnings[0]).to.include('0644').and.not.include(SECRET)
      expect(await new FileStore().get('prod')).to.equal(SECRET)
    })

    it('keeps every entry when ten writers race (the lock serialises them)', async () => {
      const names = Array.from({ length: 10 }, (_, i) => `profile-${i}`)
      await Promise.all(names.map((name) => new FileStore().set(name, `secret-${name}`)))
      const store = new FileStore()
      for (const name of names) expect(await store.get(name)).to.equal(`secret-${name}`)
      // No temp file or lock left behind.
      expect(await fs.readdir(dir)).to.deep.equal(['credentials.json'])
    })

    it('treats profile names like "__proto__" and "constructor" as plain keys', async () => {
      const store = new FileStore()
      expect(await store.get('constructor')).to.equal(undefined)
      await store.set('__proto__', SECRET)
      expect(await store.get('__proto__')).to.equal(SECRET)
      expect(JSON.parse(await fs.readFile(file, 'utf8')).secrets).to.have.own.property('__proto__', SECRET)
    })

    posixOnly('reports a malformed file without quoting its content', async () => {
      await fs.mkdir(dir, { mode: 0o700 })
      await fs.writeFile(file, `{"secrets": {"prod": ${SECRET}}}`, { mode: 0o600 })
      const err = await caught(() => new FileStore().get('prod'))
      expect(err.message).to.include(file).and.not.include(SECRET)
      expect(err.cause).to.equal(undefined)
    })
  })

  describe('keychain detection', () => {
    const linuxOnly = process.platform === 'linux' ? it : it.skip

    // No session bus means no Secret Service; @napi-rs/keyring would otherwise fall back to the
    // kernel keyutils store, which lives in memory and is lost at reboot.
    linuxOnly('is not usable on a headless Linux box (no D-Bus session bus)', async () => {
      delete process.env.DBUS_SESSION_BUS_ADDRESS
      expect(await keychainUsable()).to.equal(false)
    })

    // Here the native probe really runs. keyutils would pass a set/get round trip, so false proves the
    // entries are pinned to the Secret Service rather than silently falling back.
    linuxOnly('is not usable when the session bus does not answer, although keyutils would', async () => {
      process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${path.join(tmp, 'no-such-bus')}`
      expect(await keychainUsable()).to.equal(false)
    })
  })

  describe('openCredentialStore', () => {
    beforeEach(function () {
      if (process.platform !== 'linux') this.skip() // elsewhere the real keychain may answer
      delete process.env.DBUS_SESSION_BUS_ADDRESS
    })

    it('falls back to the file, passing its warning on', async () => {
      const warnings: string[] = []
      const store = await openCredentialStore({ onWarning: (m) => warnings.push(m) })
      expect(store.name).to.equal('file')
      await store.set('prod', SECRET)
      expect(warnings).to.have.length(1)
      expect(warnings[0]).to.include('no OS keychain answers here')
    })

    it('uses the file when ERP_CREDENTIAL_STORE=file', async () => {
      process.env.ERP_CREDENTIAL_STORE = 'file'
      expect((await openCredentialStore()).name).to.equal('file')
    })

    it('fails with a clear action when ERP_CREDENTIAL_STORE=keychain cannot be honoured', async () => {
      process.env.ERP_CREDENTIAL_STORE = 'keychain'
      const err = await caught(() => openCredentialStore())
      expect(err.kind).to.equal('CONFIG')
      expect(err.message).to.include('Secret Service')
      expect(err.actions.join(' ')).to.include('ERP_CREDENTIAL_STORE=file')
    })

    it('rejects an unknown ERP_CREDENTIAL_STORE', async () => {
      process.env.ERP_CREDENTIAL_STORE = 'vault'
      const err = await caught(() => openCredentialStore())
      expect(err.kind).to.equal('CONFIG')
      expect(err.message).to.include('"vault"')
    })
  })
})
