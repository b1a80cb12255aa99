import { transactionNow } from '../db/clock.js'
import { USER_ROLES } from '../users/users.js'
import { checkEmail, checkText } from '../validation.js'
import { changedSql, type Assignment } from './assignments.js'
import { rejectRepeatedKeys } from './repeats.js'
import { checkBoolean, guardFormulaSql, type EntitySpec, type MergeCounts } from './spec.js'

/**
 * The tenant's own users: email (the key, case-insensitive), name, role, disabled. There is no
 * password column: passwords never travel in a spreadsheet. Imported users have none until an
 * operator sets one (erp users reset-password).
 */
/** The one-row relation `t(now)` the merge statements join, bound to the transaction's time. */
const NOW = '(select ?::timestamptz as now) t'

export const usersSpec: EntitySpec = {
  entity: 'users',
  key: 'email',

  async fields() {
    return [
      { key: 'email', aliases: ['e-mail', 'login'], text: true, doc: 'The login (the key, case-insensitive).', example: 'ann@example.com', check: (p, v) => checkEmail(p, 'email', v) },
      { key: 'name', required: (m) => m !== 'update', text: true, doc: 'Full name.', example: 'Ann Example', check: (p, v) => checkText(p, 'name', v, 200) },
      {
        key: 'role',
        required: (m) => m !== 'update',
        doc: `One of ${USER_ROLES.join(', ')}.`,
        example: 'clerk',
        check: (p, v) => {
          const role = v.trim().toLowerCase()
          if ((USER_ROLES as readonly string[]).includes(role)) return role
          p.add('role', `"${v}" is not a role; use one of ${USER_ROLES.join(', ')}`)
          return undefined
        },
      },
      { key: 'disabled', type: 'boolean', doc: 'A disabled user cannot log in.', example: 'false', check: (p, v) => checkBoolean(p, 'disabled', v) },
    ]
  },

  async validate({ trx, mode, columns, rows, errors }) {
    const email = columns.get('email')!
    await rejectRepeatedKeys(trx, errors, {
      from: rows,
      key: `lower(s.${email})`,
      field: 'email',
      value: `s.${email}`,
      message: (first) => `'duplicate email in the file (first on line ' || ${first} || ')'`,
    })
    if (mode === 'insert') {
      await trx.raw(`insert into ${errors} (line, field, value, message)
        select s.line, 'email', s.${email}, 'a user with this email already exists (import with --mode upsert to update it)'
        from ${rows} s join users u on lower(u.email) = lower(s.${email})`)
    }
    if (mode === 'update') {
      await trx.raw(`insert into ${errors} (line, field, value, message)
        select s.line, 'email', s.${email}, 'no user with this email (import with --mode upsert to create it)'
        from ${rows} s where not exists (select 1 from users u where lower(u.email) = lower(s.${email}))`)
    }
  },

  async merge({ trx, mode, dryRun, columns, rows }) {
    const email = columns.get('email')!
    const set: Assignment[] = []
    for (const key of ['name', 'role']) {
      if (columns.has(key)) set.push({ column: key, insert: `s.${columns.get(key)}`, update: `coalesce(s.${columns.get(key)}, u.${key})` })
    }
    if (columns.has('disabled')) {
      const d = `s.${columns.get('disabled')}::boolean`
      set.push({
        column: 'disabled_at',
        // t.now: the transaction's time, bound (Citus refuses now() inside CASE and COALESCE of an UPDATE).
        insert: `case when ${d} then t.now end`,
        update: `case when ${d} is null then u.disabled_at when ${d} then coalesce(u.disabled_at, t.now) end`,
      })
    }
    const changed = changedSql(set, 'u')
    const match = `lower(u.email) = lower(s.${email})`
    const clock = [await transactionNow(trx)]
    if (dryRun) {
      const { rows: n } = await trx.raw(`select count(*) filter (where u.id is null)::int as inserted,
          count(*) filter (where u.id is not null and ${changed})::int as updated
        from ${rows} s cross join ${NOW} left join users u on ${match}`, clock)
      return { inserted: mode === 'update' ? 0 : n[0].inserted, updated: mode === 'insert' ? 0 : n[0].updated }
    }
    let inserted = 0
    let updated = 0
    if (mode !== 'insert' && set.length > 0) {
      const result = await trx.raw(`update users u set ${set.map((x) => `${x.column} = ${x.update}`).join(', ')}, updated_at = t.now
        from ${rows} s cross join ${NOW} where ${match} and ${changed}`, clock)
      updated = result.rowCount ?? 0
    }
    if (mode !== 'update') {
      const result = await trx.raw(`insert into users (email${set.map((x) => `, ${x.column}`).join('')})
        select s.${email}${set.map((x) => `, ${x.insert}`).join('')} from ${rows} s cross join ${NOW}
        where not exists (select 1 from users u where ${match})`, clock)
      inserted = result.rowCount ?? 0
    }
    return { inserted, updated } satisfies MergeCounts
  },
}

export function exportUsersSql(): string {
  return `copy (select ${guardFormulaSql('email')} as email, ${guardFormulaSql('name')} as name, role,
      (disabled_at is not null)::text as disabled
    from users order by lower(email)) to stdout with (format csv, header true)`
}
