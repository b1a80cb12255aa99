/**
 * erp backup create / restore / verify --deep against pg_dump -Fc / pg_restore, on one tenant with
 * 1,000,000 products and 1,000,000 stock moves; and the cost of --encrypt-to (OpenPGP) on create and
 * restore, beside the plain archive.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node --import tsx bench/backup.ts [--json] [--rows N] [--runs N]
 *
 * Needs pg_dump and pg_restore of the server's major version or newer on PATH (the embedded server
 * ships none, so point TEST_DATABASE_URL at a server that has them). The bench creates throwaway
 * databases and drops them at the end. The tables are its own (bench_products, bench_moves, shaped
 * like a catalog and a stock ledger: identity keys, numeric money and quantities, jsonb, a foreign
 * key, secondary indexes), filled with generate_series, so it does not depend on which catalog and
 * stock migrations exist. Restores go to another database, another registry: its archives are
 * "foreign-registry" there, so they are restored with --trust-unsigned. Each figure is the best of --runs runs (default 2), wall-clock time of
 * the real CLI (node bin/run.js, built dist/) and of the pg tools as child processes.
 *
 * The same tenant is also backed up to S3: a real S3-protocol server (s3rver, the tests' one) on
 * loopback, beside the same backup to a local folder, with each erp process's peak RSS (VmHWM).
 * Then a fleet of --fleet N small tenants (default 1000; 0 skips it), one seeded and the rest empty
 * (as issue 19 sets it), in a database of their own: `backup create --all-tenants --concurrency 4`
 * against a shell-style loop of `pg_dump -Fc -n`. The loop is timed over --fleet-sample K schemas
 * (default 10) spread evenly across the fleet and scaled to its size: the whole loop takes over an
 * hour at 1,000 tenants, and each pg_dump run costs about the same. --fleet-only skips the big tenant.
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'

import { startS3 } from '../test/helpers/s3-server.js'

const execFileAsync = promisify(execFile)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(root, 'bin', 'run.js')

const args = process.argv.slice(2)
const json = args.includes('--json')
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const ROWS = option('--rows', 1_000_000)
const RUNS = option('--runs', 2)
const FLEET = option('--fleet', 1000)
const FLEET_SAMPLE = option('--fleet-sample', 10)
const FLEET_ONLY = args.includes('--fleet-only')

const log = (m: string) => { if (!json) process.stderr.write(`${m}\n`) }

async function main(): Promise<void> {
  const server = process.env.TEST_DATABASE_URL ?? (await (await import('../src/lib/db/embedded-server.js')).ensureEmbeddedServer())
  const id = randomBytes(3).toString('hex')
  const source = `erp_bench_backup_${id}`
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-bench-backup-'))
  const databases = [source]
  const slug = `bench_${id}`
  const urlOf = (db: string) => { const u = new URL(server); u.pathname = `/${db}`; return u.toString() }
  const cleanups: Array<() => Promise<void>> = []
  if (FLEET_ONLY) {
    if (!(FLEET > 0)) throw new Error('--fleet-only needs --fleet N with N > 0')
    const fleet = await fleetFigures(server, FLEET)
    if (json) process.stdout.write(`${JSON.stringify({ fleet, targets: { fleet_vs_pg_dump_loop: 0.15 } })}\n`)
    else process.stdout.write(`${fleetLines(fleet).join('\n')}\n`)
    return
  }
  try {
    await admin(server, `create database ${source}`)
    log(`Filling ${source} (${ROWS} products, ${ROWS} moves)...`)
    await erp(['tenants', 'create', slug], urlOf(source))
    await fill(urlOf(source), `tenant_${slug}`)
    const version = (await query(server, 'show server_version'))[0].server_version as string

    const results: Record<string, number[]> = {
      create: [], pg_dump: [], restore: [], pg_restore: [], verify_deep: [], create_encrypted: [], restore_encrypted: [],
      local: [], s3: [], local_rss: [], s3_rss: [],
    }
    const keys = await benchKeys(work)
    const s3 = await startS3('erp-bench')
    cleanups.push(() => s3.close())
    let erpArchive = ''
    const dumpFile = path.join(work, 'dump.pgdump')
    for (let run = 0; run < RUNS; run++) {
      log(`Run ${run + 1}/${RUNS}`)
      const outDir = path.join(work, `erp-${run}`)
      results.create.push(await timed(() => erp(['backup', 'create', '--tenant', slug, '--out', outDir], urlOf(source))))
      erpArchive = path.join(outDir, fs.readdirSync(outDir).find((f) => f.endsWith('.erp.tar'))!)
      fs.rmSync(dumpFile, { force: true })
      results.pg_dump.push(await timed(() => tool('pg_dump', ['-Fc', '-n', `tenant_${slug}`, '-f', dumpFile, urlOf(source)])))

      const erpTarget = `erp_bench_restore_${id}_${run}`
      const pgTarget = `erp_bench_pgrestore_${id}_${run}`
      databases.push(erpTarget, pgTarget)
      await admin(server, `create database ${erpTarget}`)
      await erp(['tenants', 'list'], urlOf(erpTarget)) // brings the new database's registry up, outside the timing
      results.restore.push(await timed(() => erp(['backup', 'restore', erpArchive, '--as', `${slug}_r${run}`, '--trust-unsigned'], urlOf(erpTarget))))
      await admin(server, `create database ${pgTarget}`)
      results.pg_restore.push(await timed(() => tool('pg_restore', ['-d', urlOf(pgTarget), dumpFile])))
      await checkSame(urlOf(source), `tenant_${slug}`, urlOf(erpTarget), `tenant_${slug}_r${run}`)
      // Proof by restore: the same archive into a scratch schema of the source's server, checked and dropped.
      results.verify_deep.push(await timed(() => erp(['backup', 'verify', erpArchive, '--deep'], urlOf(source))))

      const encDir = path.join(work, `erp-enc-${run}`)
      results.create_encrypted.push(await timed(() => erp(['backup', 'create', '--tenant', slug, '--out', encDir, '--encrypt-to', keys.pub], urlOf(source))))
      const encArchive = path.join(encDir, fs.readdirSync(encDir).find((f) => f.endsWith('.erp.tar.gpg'))!)
      results.restore_encrypted.push(await timed(() => erp(['backup', 'restore', encArchive, '--as', `${slug}_e${run}`, '--decrypt-key', keys.sec, '--trust-unsigned'], urlOf(erpTarget))))
      fs.rmSync(encDir, { recursive: true, force: true })

      // The same backup to a local folder and to S3 on loopback, one after the other.
      const local = await measured(['backup', 'create', '--tenant', slug, '--out', path.join(work, `local-${run}`)], urlOf(source))
      const remote = await measured(['backup', 'create', '--tenant', slug, '--out', `s3://${s3.bucket}/run-${run}`], urlOf(source), s3.env)
      results.local.push(local.seconds)
      results.s3.push(remote.seconds)
      results.local_rss.push(local.peakRssMb)
      results.s3_rss.push(remote.peakRssMb)
      fs.rmSync(path.join(work, `local-${run}`), { recursive: true, force: true })
    }
    if (!s3.keys().some((k) => k.startsWith('run-0/'))) throw new Error('The S3 backup left no archive')
    await s3.close()
    cleanups.pop()
    const fleet = FLEET > 0 ? await fleetFigures(server, FLEET) : undefined
    const best = (k: string) => Math.min(...results[k])
    const sizes = { erp: fs.statSync(erpArchive).size, pg_dump: fs.statSync(dumpFile).size }
    const figures = {
      server: version,
      rows: { products: ROWS, moves: ROWS },
      runs: RUNS,
      seconds: {
        create: best('create'), pg_dump: best('pg_dump'), restore: best('restore'), pg_restore: best('pg_restore'),
        verify_deep: best('verify_deep'), create_encrypted: best('create_encrypted'), restore_encrypted: best('restore_encrypted'),
      },
      all: results,
      ratios: {
        create_vs_pg_dump: best('create') / best('pg_dump'),
        restore_vs_pg_restore: best('restore') / best('pg_restore'),
        size_vs_pg_dump: sizes.erp / sizes.pg_dump,
        verify_deep_vs_pg_restore: best('verify_deep') / best('pg_restore'),
        create_encrypted_vs_create: best('create_encrypted') / best('create'),
        restore_encrypted_vs_restore: best('restore_encrypted') / best('restore'),
        /** Tenants of this size proved by restore in an hour, one at a time. */
        verify_deep_per_hour: 3600 / best('verify_deep'),
      },
      bytes: sizes,
      s3: {
        seconds: { local: best('local'), s3: best('s3') },
        s3_vs_local: best('s3') / best('local'),
        peak_rss_mb: { local: Math.max(...results.local_rss), s3: Math.max(...results.s3_rss) },
      },
      fleet,
      targets: { create_vs_pg_dump: 1.0, restore_vs_pg_restore: 1.0, size_vs_pg_dump: 1.2, s3_vs_local: 1.3, s3_peak_rss_mb: 200, fleet_vs_pg_dump_loop: 0.15 },
    }
    if (json) {
      process.stdout.write(`${JSON.stringify(figures)}\n`)
    } else {
      const r = figures.ratios
      const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`
      const sec = (k: string) => `${best(k).toFixed(2)} s`
      const pad = (text: string) => text.padEnd(10)
      const row = (what: string, a: string, b: string, ratio: number, target: string) =>
        `${what.padEnd(34)} ${a.padEnd(10)} ${b.padEnd(10)} ${ratio.toFixed(2).padStart(5)}x   ${target}`
      const lines = [
        `PostgreSQL ${version}, ${ROWS} products + ${ROWS} moves, best of ${RUNS}`,
        '',
        `${'what'.padEnd(34)} ${'erp'.padEnd(10)} ${'peer'.padEnd(10)} ratio   target`,
        row('backup (create / pg_dump)', sec('create'), sec('pg_dump'), r.create_vs_pg_dump, '<= 1.0x'),
        row('restore (/ pg_restore)', sec('restore'), sec('pg_restore'), r.restore_vs_pg_restore, '<= 1.0x'),
        row('archive size (/ pg_dump)', mb(sizes.erp), mb(sizes.pg_dump), r.size_vs_pg_dump, '<= 1.2x'),
        row('verify --deep (/ pg_restore)', sec('verify_deep'), sec('pg_restore'), r.verify_deep_vs_pg_restore, `${Math.round(r.verify_deep_per_hour)} tenants/hour`),
        row('create --encrypt-to (/ create)', sec('create_encrypted'), sec('create'), r.create_encrypted_vs_create, ''),
        row('restore encrypted (/ restore)', sec('restore_encrypted'), sec('restore'), r.restore_encrypted_vs_restore, ''),
        '',
        'what                      S3         local       ratio   target',
        `backup create            ${pad(best('s3').toFixed(2) + ' s')} ${pad(best('local').toFixed(2) + ' s')} ${figures.s3.s3_vs_local.toFixed(2).padStart(5)}x   <= 1.3x`,
        `peak RSS (erp process)    ${pad(figures.s3.peak_rss_mb.s3.toFixed(0) + ' MB')} ${pad(figures.s3.peak_rss_mb.local.toFixed(0) + ' MB')}          S3 <= 200 MB`,
        ...(fleet ? ['', ...fleetLines(fleet)] : []),
      ]
      process.stdout.write(`${lines.join('\n')}\n`)
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
    for (const db of databases.reverse()) await admin(server, `drop database if exists ${db} with (force)`).catch(() => undefined)
    // The tenant's roles, and those of its restored copies (<slug>_r<run>, <slug>_e<run>).
    await dropRoles(server, `${slug}(_[re]\\d+)?`).catch(() => undefined)
    fs.rmSync(work, { recursive: true, force: true })
  }
}

/** A throwaway OpenPGP key pair (curve25519), as an operator would export from gpg. */
async function benchKeys(dir: string): Promise<{ pub: string; sec: string }> {
  const openpgp = await import('openpgp')
  const { publicKey, privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'erp bench' }], format: 'armored' })
  const pub = path.join(dir, 'bench.pub.asc')
  const sec = path.join(dir, 'bench.sec.asc')
  fs.writeFileSync(pub, publicKey)
  fs.writeFileSync(sec, privateKey, { mode: 0o600 })
  return { pub, sec }
}

/**
 * FLEET small tenants in a database of their own, as issue 19 sets them: the first seeded (200
 * settings rows, 200 products), the rest as provisioned, empty. One `erp backup create
 * --all-tenants --concurrency 4` (to a folder, then to S3) against the loop an operator would write
 * without erp, `pg_dump -Fc -n <schema>` once per tenant, timed over `sample` schemas spread evenly
 * across the fleet (the seeded one first) and scaled to the fleet's size.
 */
async function fleetFigures(server: string, count: number) {
  const { connect } = await import('../src/lib/auth/connection-target.js')
  const { createTenant } = await import('../src/lib/tenants/provision.js')
  const { forEachTenant } = await import('../src/lib/tenants/fleet.js')
  const id = randomBytes(3).toString('hex')
  const database = `erp_bench_fleet_${id}`
  const u = new URL(server)
  u.pathname = `/${database}`
  const url = u.toString()
  await admin(server, `create database ${database}`)
  await erp(['tenants', 'list'], url) // the registry, outside the timing
  const previous = process.env.DATABASE_URL
  process.env.DATABASE_URL = url
  const db = await connect({})
  const s3 = await startS3('erp-bench-fleet')
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-bench-fleet-'))
  try {
    log(`Provisioning ${count} small tenants (4 at a time), the first seeded...`)
    const slugs = Array.from({ length: count }, (_, i) => `bf${id}_${i}`)
    const outcomes = await forEachTenant(slugs, 4, (slug) => createTenant(db, { slug }))
    const failed = outcomes.filter((o) => !o.ok)
    if (failed.length) throw new Error(`${failed.length} tenants failed to provision: ${failed[0].error}`)
    const seeded = `"tenant_${slugs[0]}"`
    await db.knex.raw(`insert into ${seeded}.settings (key, value) select 'k' || g, to_jsonb(g) from generate_series(1, 200) g`)
    await db.knex.raw(`insert into ${seeded}.products (sku, name, cost) select 'SKU-' || g, 'Product ' || g, g / 10.0 from generate_series(1, 200) g`)
    await db.knex.raw('analyze')
    log(`erp backup create --all-tenants (${count} tenants)...`)
    const erpSeconds = await timed(() => erp(['backup', 'create', '--all-tenants', '--concurrency', '4', '--out', path.join(work, 'erp')], url))
    const archives = fs.readdirSync(path.join(work, 'erp')).filter((f) => f.endsWith('.erp.tar')).length
    if (archives !== count) throw new Error(`erp wrote ${archives} archives for ${count} tenants`)
    log('The same to S3...')
    const s3Seconds = await timed(() => erp(['backup', 'create', '--all-tenants', '--concurrency', '4', '--out', `s3://${s3.bucket}/fleet`], url, s3.env))
    if (s3.keys().length !== count) throw new Error(`erp wrote ${s3.keys().length} S3 archives for ${count} tenants`)
    const sample = Math.max(1, Math.min(count, FLEET_SAMPLE))
    const sampled = Array.from({ length: sample }, (_, i) => slugs[Math.floor((i * count) / sample)])
    log(`pg_dump -Fc -n, once per tenant, over ${sample} of ${count} tenants...`)
    fs.mkdirSync(path.join(work, 'pg'))
    const sampleSeconds = await timed(async () => {
      for (const slug of sampled) await tool('pg_dump', ['-Fc', '-n', `tenant_${slug}`, '-f', path.join(work, 'pg', `${slug}.pgdump`), url])
    })
    const loopSeconds = (sampleSeconds * count) / sample
    return {
      tenants: count,
      seeded: { tenants: 1, settings: 200, products: 200 },
      seconds: { erp: erpSeconds, erp_s3: s3Seconds, pg_dump_loop: loopSeconds, pg_dump_sample: sampleSeconds },
      /** pg_dump_loop is pg_dump_sample (this many runs) scaled to the fleet's size. */
      pg_dump_loop_sampled_of: sample,
      erp_ms_per_tenant: (erpSeconds * 1000) / count,
      erp_vs_pg_dump_loop: erpSeconds / loopSeconds,
    }
  } finally {
    await s3.close().catch(() => undefined)
    await db.close()
    if (previous === undefined) delete process.env.DATABASE_URL
    else process.env.DATABASE_URL = previous
    fs.rmSync(work, { recursive: true, force: true })
    await admin(server, `drop database if exists ${database} with (force)`).catch(() => undefined)
    await dropRoles(server, `bf${id}_\\d+`).catch(() => undefined)
  }
}

function fleetLines(fleet: Awaited<ReturnType<typeof fleetFigures>>): string[] {
  const pad = (text: string) => text.padEnd(12)
  const loop = fleet.pg_dump_loop_sampled_of < fleet.tenants ? `pg_dump loop (${fleet.pg_dump_loop_sampled_of} runs, scaled)` : 'pg_dump loop'
  return [
    `${fleet.tenants} small tenants (1 seeded, the rest empty)`,
    `${''.padEnd(26)}${pad('erp')} ${loop.padEnd(30)} ratio   target`,
    `${'backup --all-tenants'.padEnd(26)}${pad(fleet.seconds.erp.toFixed(2) + ' s')} ${(fleet.seconds.pg_dump_loop.toFixed(2) + ' s').padEnd(30)} ${fleet.erp_vs_pg_dump_loop.toFixed(3).padStart(5)}x  <= 0.15x`,
    `${'  the same to S3'.padEnd(26)}${pad(fleet.seconds.erp_s3.toFixed(2) + ' s')} ${''.padEnd(30)} ${(fleet.seconds.erp_s3 / fleet.seconds.pg_dump_loop).toFixed(3).padStart(5)}x`,
    `${'  per tenant'.padEnd(26)}${pad(fleet.erp_ms_per_tenant.toFixed(1) + ' ms')} ${((fleet.seconds.pg_dump_sample * 1000) / fleet.pg_dump_loop_sampled_of).toFixed(1)} ms`,
  ]
}

/** An erp run's wall time and its peak resident memory (VmHWM, read from /proc while it runs). */
async function measured(argv: string[], databaseUrl: string, env: Record<string, string> = {}): Promise<{ seconds: number; peakRssMb: number }> {
  let peakKb = 0
  const seconds = await timed(() => erp(argv, databaseUrl, env, (pid) => {
    const timer = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]))
      } catch {
        // gone: the last reading stands
      }
    }, 20)
    return () => clearInterval(timer)
  }))
  return { seconds, peakRssMb: peakKb / 1024 }
}

async function fill(url: string, schema: string): Promise<void> {
  await query(url, `
    set search_path to ${schema};
    select set_config('role', (select owner_role from erp.tenants where schema_name = '${schema}'), false);
    create table bench_products (
      id bigint generated always as identity primary key,
      sku text not null unique,
      name text not null,
      description text,
      price numeric(12,2) not null check (price >= 0),
      cost numeric(12,4),
      active boolean not null default true,
      attrs jsonb not null default '{}',
      created_at timestamptz not null default now()
    );
    create index bench_products_name on bench_products (name);
    create table bench_moves (
      id bigint generated always as identity primary key,
      product_id bigint not null references bench_products (id),
      qty numeric(14,3) not null,
      kind text not null check (kind in ('receipt', 'issue', 'adjust')),
      reference text,
      moved_at timestamptz not null
    );
    create index bench_moves_product on bench_moves (product_id, moved_at);
    insert into bench_products (sku, name, description, price, cost, active, attrs, created_at)
    select 'SKU-' || lpad(i::text, 8, '0'),
           'Widget ' || (i % 5000) || ' ' || substr(md5(i::text), 1, 6),
           case when i % 3 = 0 then null else 'Sturdy widget, size ' || (i % 40) || ', colour ' || (array['red','green','blue','black'])[1 + i % 4] end,
           ((i * 7919) % 100000) / 100.0, ((i * 104729) % 1000000) / 10000.0, i % 17 <> 0,
           jsonb_build_object('weight', (i % 250) / 10.0, 'tags', jsonb_build_array('t' || (i % 30))),
           timestamptz '2025-01-01' + (i % 300000) * interval '1 minute'
      from generate_series(1::bigint, ${ROWS}) i;
    insert into bench_moves (product_id, qty, kind, reference, moved_at)
    select 1 + (i * 7) % ${ROWS}, ((i % 2000) - 1000) / 10.0, (array['receipt','issue','adjust'])[1 + i % 3],
           case when i % 4 = 0 then 'PO-' || (i / 4) end, timestamptz '2025-06-01' + i * interval '7 seconds'
      from generate_series(1::bigint, ${ROWS}) i;
    reset role;
    analyze;
  `)
}

/** Same rows in both schemas (a checksum per table), so a fast but wrong restore cannot win. */
async function checkSame(urlA: string, schemaA: string, urlB: string, schemaB: string): Promise<void> {
  const sum = (url: string, schema: string) =>
    query(url, `select (select md5(string_agg(t::text, '|' order by t.id)) from ${schema}.bench_products t) as p,
                       (select md5(string_agg(t::text, '|' order by t.id)) from ${schema}.bench_moves t) as m`)
  const [a, b] = [(await sum(urlA, schemaA))[0], (await sum(urlB, schemaB))[0]]
  if (a.p !== b.p || a.m !== b.m) throw new Error('The restored tenant differs from the source')
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

function erp(argv: string[], databaseUrl: string, env: Record<string, string> = {}, watch?: (pid: number) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      env: { ...process.env, ...env, DATABASE_URL: databaseUrl, ERP_PROFILE: '', CI: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const stop = child.pid !== undefined && watch ? watch(child.pid) : undefined
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => {
      stop?.()
      if (code === 0) resolve()
      else reject(new Error(`erp ${argv.join(' ')} exited ${code}: ${stderr}`))
    })
  })
}

async function tool(name: string, argv: string[]): Promise<void> {
  await execFileAsync(name, argv, { maxBuffer: 64 * 1024 * 1024 })
}

async function query(url: string, text: string): Promise<any[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const result = await client.query(text)
    return Array.isArray(result) ? result.at(-1)!.rows : result.rows
  } finally {
    await client.end()
  }
}

const admin = (url: string, text: string) => query(url, text)

async function dropRoles(server: string, slug: string): Promise<void> {
  const { rows } = { rows: await query(server, `select rolname from pg_roles where rolname ~ '^erp_[a-z0-9_]+_${slug}(__login)?$'`) }
  for (const { rolname } of rows) await query(server, `drop role if exists "${rolname}"`)
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`)
  process.exit(1)
})
