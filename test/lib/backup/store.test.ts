import { expect } from 'chai'

import { isErpError } from '../../../src/lib/errors.js'
import { archiveRef, checkLocation, parentOf, parseLocation, s3Settings } from '../../../src/lib/backup/store.js'

const refusal = (work: () => unknown): { kind: string; message: string } => {
  try {
    work()
  } catch (err) {
    if (isErpError(err)) return { kind: err.kind, message: err.message }
    throw err
  }
  throw new Error('expected a refusal')
}

describe('backup locations (store.ts)', () => {
  it('a path is a local folder, s3://bucket[/prefix] an S3 location', () => {
    expect(parseLocation('/var/backups/erp')).to.include({ kind: 'local', where: '/var/backups/erp' })
    expect(parseLocation('./s3:')).to.include({ kind: 'local' })
    expect(parseLocation('backups')).to.include({ kind: 'local' })
    const s3 = parseLocation('s3://acme-backups/erp/nightly/')
    expect(s3).to.include({ kind: 's3', where: 's3://acme-backups/erp/nightly' })
    expect(s3.nameOf('acme-1.erp.tar')).to.equal('s3://acme-backups/erp/nightly/acme-1.erp.tar')
    expect(parseLocation('S3://bkt').nameOf('a.erp.tar')).to.equal('s3://bkt/a.erp.tar')
    expect(parseLocation('s3://gcs_bucket.v2/x').where).to.equal('s3://gcs_bucket.v2/x')
  })

  it('refuses every other scheme, and s3 without a bucket, as a usage error', () => {
    for (const text of ['s3:', 's3:bkt/x', 's3:/bkt/x', 'gs://bkt/x', 'http://host/x', 'https://host/x', 'file:///tmp/x', 'azure://c/x', 'ftp:x']) {
      expect(refusal(() => parseLocation(text)).kind, text).to.equal('USAGE')
    }
    for (const text of ['s3://', 's3:///x', 's3://a', 's3://-bad/x', 's3://UPPER/x', 's3://b..c/x', 's3://bkt/a//b', 's3://bkt/../x', 's3://bkt/a/./b', 's3://bkt/a b', 's3://bkt:9000/x']) {
      expect(refusal(() => parseLocation(text)).kind, text).to.equal('USAGE')
    }
    expect(refusal(() => parseLocation('')).kind).to.equal('USAGE')
  })

  it('never echoes what looks like credentials in a location', () => {
    for (const text of ['s3://AKIAXXXX:s3cr3t@bkt/x', 's3://AKIAXXXX:s3/cr3t@bkt/x', 's3://AKIAXXXX:s3cr3t/bkt/x', 'https://user:s3cr3t@host/x', 'gs://u:s3/cr3t@b/x', 's3:AKIAXXXX:s3cr3t@bkt']) {
      const { message } = refusal(() => parseLocation(text))
      expect(message, text).not.to.include('s3cr3t')
      expect(message, text).not.to.include('cr3t')
    }
  })

  it('an archive is named by its full name; a prefix alone is not an archive', () => {
    const { location, name } = archiveRef('s3://bkt/erp/nightly/acme-20261125T030000.000Z.erp.tar')
    expect(location.where).to.equal('s3://bkt/erp/nightly')
    expect(name).to.equal('acme-20261125T030000.000Z.erp.tar')
    expect(archiveRef('s3://bkt/a.erp.tar').location.where).to.equal('s3://bkt')
    expect(archiveRef('/tmp/x/a.erp.tar')).to.deep.include({ name: 'a.erp.tar' })
    expect(parentOf('s3://bkt/erp/a.erp.tar')).to.equal('s3://bkt/erp')
    expect(parentOf('/var/backups/a.erp.tar')).to.equal('/var/backups')
    for (const text of ['s3://bkt', 's3://bkt/', 's3://bkt/erp/']) expect(refusal(() => checkLocation(text, 'archive')).kind, text).to.equal('USAGE')
  })

  it('path-style addressing for an IP or localhost endpoint; ERP_S3_PATH_STYLE decides for the rest', () => {
    expect(s3Settings({})).to.deep.equal({ endpoint: undefined, pathStyle: false })
    expect(s3Settings({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }).pathStyle).to.equal(true)
    expect(s3Settings({ AWS_ENDPOINT_URL: 'http://localhost:9000' }).pathStyle).to.equal(true)
    expect(s3Settings({ AWS_ENDPOINT_URL: 'http://[::1]:9000' }).pathStyle).to.equal(true)
    expect(s3Settings({ AWS_ENDPOINT_URL_S3: 'http://10.0.0.5:9000', AWS_ENDPOINT_URL: 'https://other' })).to.deep.equal({ endpoint: 'http://10.0.0.5:9000', pathStyle: true })
    expect(s3Settings({ AWS_ENDPOINT_URL: 'https://abc.r2.cloudflarestorage.com' }).pathStyle).to.equal(false)
    expect(s3Settings({ AWS_ENDPOINT_URL: 'https://minio.internal', ERP_S3_PATH_STYLE: 'true' }).pathStyle).to.equal(true)
    expect(s3Settings({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9000', ERP_S3_PATH_STYLE: 'false' }).pathStyle).to.equal(false)
    expect(refusal(() => s3Settings({ ERP_S3_PATH_STYLE: 'maybe' })).kind).to.equal('USAGE')
    expect(refusal(() => s3Settings({ AWS_ENDPOINT_URL: 'not a url' })).kind).to.equal('CONFIG')
  })

  it("an erp profile's S3 settings fill in what the environment leaves out, setting by setting", () => {
    const profile = { endpoint: 'https://minio.internal', region: 'eu-central-1', awsProfile: 'erp-backup', pathStyle: true }
    expect(s3Settings({}, profile)).to.deep.equal({ endpoint: 'https://minio.internal', pathStyle: true, region: 'eu-central-1', awsProfile: 'erp-backup' })
    expect(s3Settings({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }, { region: 'auto' })).to.deep.equal({ endpoint: 'http://127.0.0.1:9000', pathStyle: true, region: 'auto' })
    // The environment wins: its endpoint, path style, region and AWS profile.
    const env = { AWS_ENDPOINT_URL: 'https://abc.r2.cloudflarestorage.com', ERP_S3_PATH_STYLE: 'false', AWS_REGION: 'auto', AWS_PROFILE: 'other' }
    expect(s3Settings(env, profile)).to.deep.equal({ endpoint: 'https://abc.r2.cloudflarestorage.com', pathStyle: false })
    expect(s3Settings({ AWS_DEFAULT_REGION: 'us-west-2' }, { region: 'eu-central-1' })).to.not.have.property('region')
    // A profile's automatic path style follows its own endpoint.
    expect(s3Settings({}, { endpoint: 'http://localhost:9000' }).pathStyle).to.equal(true)
    expect(refusal(() => s3Settings({}, { endpoint: 'not a url' })).message).to.match(/profile's S3 endpoint/)
  })
})
