import { expect } from 'chai'
import fs from 'node:fs'
import path from 'node:path'

import type { Db } from '../../src/lib/db/connect.js'
import { createTenant } from '../../src/lib/tenants/provision.js'
import { runCli, type CliResult } from '../helpers/cli.js'
import { adminQuery, asTenantOwner, namesFor, openTestDb, uniqueSlug } from '../helpers/database.js'
import { rowChecksums } from '../helpers/schema-fingerprint.js'
import { startS3, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, type TestS3 } from '../helpers/s3-server.js'

/** Every AWS_* variable the SDK reads for credentials, region and endpoint, removed for the run. */
const NO_AWS_ENV = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_S3: undefined,
}

const noSecrets = (r: CliResult) => {
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.to.include(TEST_SECRET_ACCESS_KEY)
    expect(text).not.to.include(TEST_ACCESS_KEY_ID)
  }
}

describe('erp backup on S3 through an erp profile (auth s3 set), with no AWS_* variables', function () {
  this.timeout(180_000)
  let db: Db
  let s3: TestS3
  const profile = `s3p-${process.pid}`
  const configDir = () => process.env.ERP_CONFIG_DIR!

  before(async () => {
    db = await openTestDb()
    s3 = await startS3()
    const login = await runCli(['auth', 'login', profile, '--url', process.env.DATABASE_URL!, '--no-password', '--json'])
    expect(login.code, login.stdout + login.stderr).to.equal(0)
  })
  after(async () => {
    await runCli(['auth', 'logout', profile])
    await db?.close()
    await s3?.close()
  })

  it('keeps the key pair in the credential store, never in profiles.json, and shows only where it is', async () => {
    const set = await runCli(['auth', 's3', 'set', profile, '--endpoint', s3.endpoint, '--region', 'us-east-1', '--credentials-stdin', '--json'], {
      input: `${TEST_ACCESS_KEY_ID}\n${TEST_SECRET_ACCESS_KEY}\n`,
    })
    expect(set.code, set.stdout + set.stderr).to.equal(0)
    expect(set.json.result.objectStorage).to.deep.equal({ endpoint: s3.endpoint, region: 'us-east-1', credentials: 'file' })
    noSecrets(set)

    const profiles = fs.readFileSync(path.join(configDir(), 'profiles.json'), 'utf8')
    expect(profiles).not.to.include(TEST_SECRET_ACCESS_KEY)
    expect(profiles).not.to.include(TEST_ACCESS_KEY_ID)
    const credentials = path.join(configDir(), 'credentials.json')
    expect(fs.statSync(credentials).mode & 0o777).to.equal(0o600)
    expect(JSON.parse(fs.readFileSync(credentials, 'utf8')).secrets[`s3-credentials:${profile}`]).to.include(TEST_SECRET_ACCESS_KEY)

    const list = await runCli(['auth', 'list', '--json'])
    const mine = list.json.result.items.find((p: { name: string }) => p.name === profile)
    expect(mine.objectStorage).to.deep.equal({ endpoint: s3.endpoint, region: 'us-east-1', credentials: 'file' })
    const table = await runCli(['auth', 'list', '--no-truncate'])
    expect(table.stdout).to.include('keys: file')
    const who = await runCli(['auth', 'whoami', '--profile', profile, '--json'])
    expect(who.json.result.objectStorage).to.deep.equal(mine.objectStorage)
    for (const r of [list, table, who]) noSecrets(r)

    // Only the flags given change; the rest is kept.
    const again = await runCli(['auth', 's3', 'set', profile, '--no-path-style', '--json'])
    expect(again.json.result.objectStorage).to.deep.equal({ endpoint: s3.endpoint, region: 'us-east-1', pathStyle: false, credentials: 'file' })
    const back = await runCli(['auth', 's3', 'set', profile, '--path-style', '--json'])
    expect(back.json.result.objectStorage.pathStyle).to.equal(true)
  })

  it('refuses an endpoint holding credentials without echoing it, and a malformed key pair without echoing a line', async () => {
    const withKeys = await runCli(['auth', 's3', 'set', profile, '--endpoint', `http://${TEST_ACCESS_KEY_ID}:${encodeURIComponent(TEST_SECRET_ACCESS_KEY)}@127.0.0.1:9000`, '--json'])
    expect(withKeys.code).to.equal(2)
    noSecrets(withKeys)
    const oneLine = await runCli(['auth', 's3', 'set', profile, '--credentials-stdin', '--json'], { input: `${TEST_SECRET_ACCESS_KEY}\n` })
    expect(oneLine.code).to.equal(2)
    expect(oneLine.json.error.message).to.match(/expected 2 lines/)
    noSecrets(oneLine)
  })

  it('create, list and restore through the profile alone; the keys reach no output and no audit record', async () => {
    const slug = uniqueSlug('s3prof')
    const copy = uniqueSlug('s3prof_copy')
    await createTenant(db, { slug })
    await asTenantOwner(db, slug, `create table items (id int primary key, sku text); insert into items select i, 'SKU-' || i from generate_series(1, 500) i;`)
    const where = `s3://${s3.bucket}/via-profile`
    const env = { ...NO_AWS_ENV, ERP_PROFILE: profile }

    const created = await runCli(['backup', 'create', '--tenant', slug, '--out', where, '--json'], { env })
    expect(created.code, created.stdout + created.stderr).to.equal(0)
    const [row] = created.json.result.tenants
    expect(s3.keys()).to.include(row.file.replace(`s3://${s3.bucket}/`, ''))

    // list connects to no database: the profile comes from --profile itself.
    const listed = await runCli(['backup', 'list', '--dir', where, '--profile', profile, '--json'], { env: NO_AWS_ENV })
    expect(listed.code, listed.stdout + listed.stderr).to.equal(0)
    expect(listed.json.result.items.map((a: { file: string }) => a.file)).to.deep.equal([row.file])

    const restored = await runCli(['backup', 'restore', row.file, '--as', copy, '--json'], { env })
    expect(restored.code, restored.stdout + restored.stderr).to.equal(0)
    const [a, b] = [await namesFor(slug), await namesFor(copy)]
    expect(await rowChecksums(db.knex, b.schema)).to.deep.equal(await rowChecksums(db.knex, a.schema))

    for (const r of [created, listed, restored]) noSecrets(r)
    const { rows } = await adminQuery(`select row_to_json(a)::text as row from erp.audit_log a where command like 'backup%' or command like 'auth%'`)
    expect(rows.length).to.be.greaterThan(0)
    for (const { row: text } of rows) {
      expect(text).not.to.include(TEST_SECRET_ACCESS_KEY)
      expect(text).not.to.include(TEST_ACCESS_KEY_ID)
    }
    const profiles = fs.readFileSync(path.join(configDir(), 'profiles.json'), 'utf8')
    expect(profiles).not.to.include(TEST_SECRET_ACCESS_KEY)
  })

  it('the environment wins over the profile: AWS_ACCESS_KEY_ID set to another key is the one used (and refused)', async () => {
    const where = `s3://${s3.bucket}/via-profile`
    const wrong = { ...NO_AWS_ENV, AWS_ACCESS_KEY_ID: 'AKIAOTHERKEY00000000', AWS_SECRET_ACCESS_KEY: 'other-secret-0000000000000000000000000000' }
    const r = await runCli(['backup', 'list', '--dir', where, '--profile', profile, '--json'], { env: wrong })
    expect(r.code, r.stdout + r.stderr).to.equal(77)
    expect(r.json.error.message).to.match(/refused/)
    noSecrets(r)
    expect(r.stdout + r.stderr).not.to.include('other-secret')
  })

  it('a profile whose stored keys are gone is a configuration error naming the fix; logout and s3 remove delete the keys', async () => {
    const credentials = path.join(configDir(), 'credentials.json')
    const file = JSON.parse(fs.readFileSync(credentials, 'utf8'))
    const saved = file.secrets[`s3-credentials:${profile}`]
    delete file.secrets[`s3-credentials:${profile}`]
    fs.writeFileSync(credentials, JSON.stringify(file), { mode: 0o600 })
    const r = await runCli(['backup', 'list', '--dir', `s3://${s3.bucket}/via-profile`, '--profile', profile, '--json'], { env: NO_AWS_ENV })
    expect(r.code).to.equal(78)
    expect(r.json.error.actions.join(' ')).to.include(`erp auth s3 set ${profile} --credentials-stdin`)

    file.secrets[`s3-credentials:${profile}`] = saved
    fs.writeFileSync(credentials, JSON.stringify(file), { mode: 0o600 })
    const removed = await runCli(['auth', 's3', 'remove', profile, '--json'])
    expect(removed.json.result).to.deep.equal({ profile, removed: true })
    expect(JSON.parse(fs.readFileSync(credentials, 'utf8')).secrets).not.to.have.property(`s3-credentials:${profile}`)
    const who = await runCli(['auth', 'whoami', '--profile', profile, '--json'])
    expect(who.json.result.objectStorage).to.equal(null)

    // Logging in again keeps S3 settings; logging out deletes the keys with the profile.
    await runCli(['auth', 's3', 'set', profile, '--endpoint', s3.endpoint, '--credentials-stdin'], { input: `${TEST_ACCESS_KEY_ID}\n${TEST_SECRET_ACCESS_KEY}\n` })
    const relogin = await runCli(['auth', 'login', profile, '--url', process.env.DATABASE_URL!, '--no-password', '--json'])
    expect(relogin.json.result.profile.objectStorage).to.deep.equal({ endpoint: s3.endpoint, credentials: 'file' })
    expect((await runCli(['auth', 'logout', profile])).code).to.equal(0)
    expect(JSON.parse(fs.readFileSync(credentials, 'utf8')).secrets).not.to.have.property(`s3-credentials:${profile}`)
    expect((await runCli(['auth', 'login', profile, '--url', process.env.DATABASE_URL!, '--no-password'])).code).to.equal(0)
  })
})
