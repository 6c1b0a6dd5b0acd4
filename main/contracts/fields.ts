import { z } from 'zod';

/* Argument fields that several domains' methods share: names, versions, upload ids, aliases, rows. */

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const name = z.string().regex(namePattern, 'letters, digits, ".", "_" or "-"');
export const version = z.number().int().positive();
/** What `name` accepts, without zod (for MethodDefinition.accepts). */
export const isName = (value: unknown): value is string => typeof value === 'string' && namePattern.test(value);
/** What `version` accepts, without zod: a positive safe integer (zod's int() is bounded to safe integers). */
export const isVersion = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
/** Where a pipeline file's relative paths resolve (its folder): given by the CLI, refused from other transports. */
export const baseDir = z.string().min(1).max(4096).optional();
export const uploadRef = z.string().regex(/^[a-f0-9-]{36}$/);
/** An alias is also an OCI tag, so it keeps to the tag grammar. */
export const aliasName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, 'an alias is letters, digits, ".", "_" or "-"');
/**
 * An alias a user sets: an alias name that is not all digits, since NAME@2 names version 2 and an alias "2" could
 * never be reached by it.
 */
export const settableAlias = aliasName.refine((a) => !/^[0-9]+$/.test(a), 'an alias may not be a number (NAME@2 is version 2)');
export const task = z.enum(['binary', 'multiclass', 'regression']);

/** A flat row: field → string, number, boolean or null. */
export function isRow(value: unknown): value is Record<string, string | number | boolean | null> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) {
    const cell = (value as Record<string, unknown>)[key];
    if (
      cell !== null &&
      typeof cell !== 'string' &&
      typeof cell !== 'boolean' &&
      !(typeof cell === 'number' && Number.isFinite(cell))
    )
      return false;
  }
  return true;
}
/**
 * Checked by hand rather than as zod's record of unions, which cost ~3 ms per 1,000 rows and showed in HTTP push
 * (the benchmark's 1,000-row batches); the OpenAPI document still shows the shape.
 */
export const row = z
  .custom<Record<string, string | number | boolean | null>>(isRow, {
    message: 'a row is an object whose values are strings, numbers, booleans or null',
  })
  .meta({ type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } });

export type Task = z.infer<typeof task>;
export type ColumnType = 'integer' | 'number' | 'boolean' | 'datetime' | 'categorical' | 'text';
