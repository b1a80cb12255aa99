/**
 * A category name may hold "/" (clients have "Grains/Cereals"): a path escapes it as "\/" (and "\"
 * as "\\"), so the path stays one string that a prefix match reads. Categories get a description.
 * The weaker name check is added NOT VALID and validated apart (the old one implied it).
 * Runs with search_path set to the tenant's schema, as the tenant's owner role.
 * @param {import('knex').Knex} knex
 */
export async function up(knex) {
  await knex.raw('alter table categories drop constraint categories_name_check')
  await knex.raw(`alter table categories add constraint categories_name_not_empty check (name <> '') not valid`)
  await knex.raw('alter table categories validate constraint categories_name_not_empty')
  await knex.raw('alter table categories add column description text null')
  // Names could hold a backslash before: its path now doubles it.
  await knex.raw(`update categories set path = replace(path, '\\', '\\\\') where position('\\' in path) > 0`)
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('alter table categories drop column description')
  await knex.raw('alter table categories drop constraint categories_name_not_empty')
  await knex.raw(`alter table categories add constraint categories_name_check check (name <> '' and position('/' in name) = 0) not valid`)
}
