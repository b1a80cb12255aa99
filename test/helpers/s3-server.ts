import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { createRequire } from 'node:module'

import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'

/**
 * A real S3-protocol server (s3rver: the S3 REST API over HTTP, objects in a folder) on loopback,
 * started by the test itself. erp talks to it through the AWS SDK exactly as it would to S3, MinIO or
 * R2: signed requests, ListObjectsV2, multipart uploads, ranged GETs. Nothing is mocked.
 */
export interface TestS3 {
  endpoint: string
  bucket: string
  /** The folder s3rver keeps buckets and objects in. */
  directory: string
  /** The environment a run of erp needs to reach it (credentials, endpoint, region). */
  env: Record<string, string>
  /** The keys under the bucket (objects only: s3rver keeps unfinished multipart parts elsewhere). */
  keys(): string[]
  /** Multipart uploads begun and neither completed nor aborted. */
  uploads(): string[]
  /** Parts stored for unfinished multipart uploads. */
  parts(): number
  /** Put an object as-is (hostile listings, crafted archives). */
  put(key: string, body: Buffer | string): Promise<void>
  close(): Promise<void>
}

/** s3rver accepts any key pair; these are what the tests check never reach output or logs. */
export const TEST_ACCESS_KEY_ID = 'AKIAERPTESTKEY7Q3Z9X'
export const TEST_SECRET_ACCESS_KEY = 'erp-test-secret/wJalrXUtnFEMI+K7MDENG+bPxRfiCY'

export async function startS3(bucket = 'erp-backups'): Promise<TestS3> {
  // s3rver checks every signature against the key pairs of its one account; ours is added to it.
  const require = createRequire(import.meta.url)
  const account = require('s3rver/lib/models/account.js')
  const S3rver = require('s3rver')
  account.DUMMY_ACCOUNT.createKeyPair(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY)
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-s3-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  })
  const { port } = (await server.run()) as { port: number }
  const endpoint = `http://127.0.0.1:${port}`
  const env = {
    AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
  }
  const keys = () => {
    const root = path.join(directory, bucket)
    const out: string[] = []
    const walk = (dir: string, prefix: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory() && e.name === '._S3rver_uploads') continue
        if (e.isDirectory()) walk(path.join(dir, e.name), `${prefix}${e.name}/`)
        else if (e.name.endsWith('._S3rver_object')) out.push(`${prefix}${e.name.slice(0, -'._S3rver_object'.length)}`)
      }
    }
    if (fs.existsSync(root)) walk(root, '')
    return out.sort()
  }
  const uploadsDir = path.join(directory, bucket, '._S3rver_uploads')
  const uploads = () => (fs.existsSync(uploadsDir) ? fs.readdirSync(uploadsDir) : [])
  const parts = () => uploads().reduce((n, id) => n + fs.readdirSync(path.join(uploadsDir, id)).filter((f) => /^\d+$/.test(f)).length, 0)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const client = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: TEST_SECRET_ACCESS_KEY },
  })
  const put = async (key: string, body: Buffer | string) => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
  }
  return {
    endpoint,
    bucket,
    directory,
    env,
    keys,
    uploads,
    parts,
    put,
    close: async () => {
      client.destroy()
      await server.close()
      fs.rmSync(directory, { recursive: true, force: true })
    },
  }
}
