import { z } from 'zod';
import { apiSchemas, type ApiMethod } from './index.js';

/*
 * The methods' own schemas, for a form to check its input before it sends: the same zod schema dispatch() validates
 * with, so a range or a type is written once (the contract) and the console cannot drift from the server. The
 * renderer imports this module (and the typed client) as values; the rest of the contracts as types.
 */

/** One problem with an argument, where it is: what dispatch() puts in a VALIDATION_FAILED error's details. */
export interface ArgumentIssue {
  path: string[];
  message: string;
}

/** What the method's schema says about `args`: no issues when the server would accept them (as far as zod goes). */
export function argumentIssues(method: ApiMethod, args: unknown): ArgumentIssue[] {
  const parsed = apiSchemas[method].safeParse(args);
  return parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
}

/** A numeric argument's bounds as the schema states them (an array of numbers: its items'). */
export interface NumberBounds {
  integer: boolean;
  minimum: number | null;
  maximum: number | null;
  /** True when the bound itself is refused (gt / lt). */
  exclusiveMinimum: boolean;
  exclusiveMaximum: boolean;
}

interface JsonSchemaNumber {
  type?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchemaNumber;
}

/** Every top-level numeric argument's bounds (numbers, integers and arrays of them), by argument name. */
export function numberBounds(method: ApiMethod): Record<string, NumberBounds> {
  const schema = z.toJSONSchema(apiSchemas[method], { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchemaNumber>;
  };
  const out: Record<string, NumberBounds> = {};
  for (const [key, raw] of Object.entries(schema.properties ?? {})) {
    const p = raw.type === 'array' && raw.items !== undefined ? raw.items : raw;
    if (p.type !== 'number' && p.type !== 'integer') continue;
    out[key] = {
      integer: p.type === 'integer',
      minimum: p.exclusiveMinimum ?? p.minimum ?? null,
      maximum: p.exclusiveMaximum ?? p.maximum ?? null,
      exclusiveMinimum: p.exclusiveMinimum !== undefined,
      exclusiveMaximum: p.exclusiveMaximum !== undefined,
    };
  }
  return out;
}

/** The bounds in words: "a whole number from 1 to 10000", "a number above 0, at most 1". */
export function describeBounds(b: NumberBounds): string {
  const what = b.integer ? 'a whole number' : 'a number';
  const lo = b.minimum === null ? null : b.exclusiveMinimum ? `above ${b.minimum}` : `at least ${b.minimum}`;
  const hi = b.maximum === null ? null : b.exclusiveMaximum ? `below ${b.maximum}` : `at most ${b.maximum}`;
  if (lo !== null && hi !== null && !b.exclusiveMinimum && !b.exclusiveMaximum)
    return `${what} from ${b.minimum} to ${b.maximum}`;
  const limits = [lo, hi].filter((s) => s !== null).join(', ');
  return limits === '' ? what : `${what} ${limits}`;
}

/**
 * A form field's text as a number for `key` of `method`: the number, or why not, in words (not a number, or outside
 * the schema's bounds). Empty text is undefined: the argument is left out and the server's default applies.
 */
export function numberField(
  bounds: NumberBounds | undefined,
  text: string,
): { ok: true; value: number | undefined } | { ok: false; message: string } {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  const value = Number(t);
  const expected = bounds === undefined ? 'a number' : describeBounds(bounds);
  // Number('0x10') and Number('0b1') read as numbers; a form's user means decimal text, so only that is taken.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) || !Number.isFinite(value))
    return { ok: false, message: `“${t.slice(0, 40)}” is not a number: expected ${expected}` };
  if (bounds === undefined) return { ok: true, value };
  const bad =
    (bounds.integer && !Number.isInteger(value)) ||
    (bounds.minimum !== null && (bounds.exclusiveMinimum ? value <= bounds.minimum : value < bounds.minimum)) ||
    (bounds.maximum !== null && (bounds.exclusiveMaximum ? value >= bounds.maximum : value > bounds.maximum));
  return bad ? { ok: false, message: `${t} is out of range: expected ${expected}` } : { ok: true, value };
}
