import { HearthError } from '../contracts/errors.js';
import { parseIsoDate } from '../table/column-builder.js';
import type { Column, ColumnType, Frame } from '../table/frame.js';

/**
 * The pipeline's expression language: small, typed and safe. It is parsed into a tree and compiled to closures over
 * a frame's columns; nothing is ever handed to `eval` or `Function`, and the only names it can reach are the
 * frame's columns and the functions listed below.
 *
 *   amount * (1 + tax_rate)          status in ('paid', 'shipped') and not refunded
 *   if(age >= 18, 'adult', 'minor')  coalesce(`unit price`, 0)       year(placed_at) = 2026
 *
 * Missing values follow SQL: arithmetic and comparisons with a missing value are missing, `and`/`or` are
 * three-valued, and a filter keeps only the rows where its condition is true. Types are checked when the
 * expression is compiled, so `price + name` fails before a row is read, with the position of the mistake.
 */

export type ValueType = 'number' | 'string' | 'boolean' | 'datetime' | 'null';
export type Value = number | string | boolean | null;

type Node =
  | { kind: 'literal'; value: Value; at: number }
  | { kind: 'column'; name: string; at: number }
  | { kind: 'unary'; op: '-' | 'not'; operand: Node; at: number }
  | { kind: 'binary'; op: string; left: Node; right: Node; at: number }
  | { kind: 'in'; operand: Node; list: Node[]; negated: boolean; at: number }
  | { kind: 'is-null'; operand: Node; negated: boolean; at: number }
  | { kind: 'call'; name: string; args: Node[]; at: number };

interface Token {
  kind: 'number' | 'string' | 'name' | 'quoted-name' | 'op' | 'end';
  text: string;
  at: number;
}

function fail(source: string, at: number, message: string): never {
  throw new HearthError('VALIDATION_FAILED', `expression "${source}": ${message} (at character ${at + 1})`, {
    reason: 'expression',
    expression: source,
    position: at + 1,
  });
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i))!;
      i += m[0].length;
      tokens.push({ kind: 'number', text: m[0], at: start });
    } else if (c === "'" || c === '"' || c === '`') {
      // A quote inside is doubled, as in SQL: 'it''s'. Backticks name a column whose name is not a plain word.
      let text = '';
      i++;
      for (;;) {
        if (i >= source.length) fail(source, start, `unterminated ${c === '`' ? 'column name' : 'string'}`);
        if (source[i] === c) {
          if (source[i + 1] === c) {
            text += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += source[i++];
      }
      tokens.push({ kind: c === '`' ? 'quoted-name' : 'string', text, at: start });
    } else if (/[A-Za-z_]/.test(c)) {
      // Dotted names are columns flattened from nested JSON (customer.address.city).
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(source.slice(i))!;
      i += m[0].length;
      tokens.push({ kind: 'name', text: m[0], at: start });
    } else {
      const two = source.slice(i, i + 2);
      if (['<=', '>=', '!=', '<>', '=='].includes(two)) {
        tokens.push({ kind: 'op', text: two, at: start });
        i += 2;
      } else if ('+-*/%()<>=,'.includes(c)) {
        tokens.push({ kind: 'op', text: c, at: start });
        i++;
      } else fail(source, start, `unexpected "${c}"`);
    }
  }
  tokens.push({ kind: 'end', text: '', at: source.length });
  return tokens;
}

const keywords = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'true', 'false']);

/** Precedence climbing: or < and < not < comparison < additive < multiplicative < unary minus < primary. */
function parse(source: string): Node {
  const tokens = tokenize(source);
  let p = 0;
  const peek = () => tokens[p]!;
  const isWord = (t: Token, word: string) => t.kind === 'name' && t.text.toLowerCase() === word;
  const isOp = (t: Token, op: string) => t.kind === 'op' && t.text === op;
  const expect = (op: string) => {
    if (!isOp(peek(), op)) fail(source, peek().at, `expected "${op}"${peek().kind === 'end' ? ' before the end' : ''}`);
    p++;
  };

  const or = (): Node => {
    let left = and();
    while (isWord(peek(), 'or')) {
      const at = tokens[p++]!.at;
      left = { kind: 'binary', op: 'or', left, right: and(), at };
    }
    return left;
  };
  const and = (): Node => {
    let left = not();
    while (isWord(peek(), 'and')) {
      const at = tokens[p++]!.at;
      left = { kind: 'binary', op: 'and', left, right: not(), at };
    }
    return left;
  };
  const not = (): Node => {
    if (isWord(peek(), 'not')) {
      const at = tokens[p++]!.at;
      return { kind: 'unary', op: 'not', operand: not(), at };
    }
    return comparison();
  };
  const comparison = (): Node => {
    const left = additive();
    const t = peek();
    if (t.kind === 'op' && ['=', '==', '!=', '<>', '<', '<=', '>', '>='].includes(t.text)) {
      p++;
      const op = t.text === '==' ? '=' : t.text === '<>' ? '!=' : t.text;
      return { kind: 'binary', op, left, right: additive(), at: t.at };
    }
    if (isWord(t, 'is')) {
      p++;
      const negated = isWord(peek(), 'not');
      if (negated) p++;
      if (!isWord(peek(), 'null')) fail(source, peek().at, 'expected "null" after "is"');
      p++;
      return { kind: 'is-null', operand: left, negated, at: t.at };
    }
    const negatedIn = isWord(t, 'not') && isWord(tokens[p + 1]!, 'in');
    if (isWord(t, 'in') || negatedIn) {
      p += negatedIn ? 2 : 1;
      expect('(');
      const list = [additive()];
      while (isOp(peek(), ',')) {
        p++;
        list.push(additive());
      }
      expect(')');
      return { kind: 'in', operand: left, list, negated: negatedIn, at: t.at };
    }
    return left;
  };
  const additive = (): Node => {
    let left = multiplicative();
    while (isOp(peek(), '+') || isOp(peek(), '-')) {
      const t = tokens[p++]!;
      left = { kind: 'binary', op: t.text, left, right: multiplicative(), at: t.at };
    }
    return left;
  };
  const multiplicative = (): Node => {
    let left = unary();
    while (isOp(peek(), '*') || isOp(peek(), '/') || isOp(peek(), '%')) {
      const t = tokens[p++]!;
      left = { kind: 'binary', op: t.text, left, right: unary(), at: t.at };
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp(peek(), '-')) {
      const at = tokens[p++]!.at;
      return { kind: 'unary', op: '-', operand: unary(), at };
    }
    if (isOp(peek(), '+')) p++;
    return primary();
  };
  const primary = (): Node => {
    const t = tokens[p++]!;
    switch (t.kind) {
      case 'number':
        return { kind: 'literal', value: Number(t.text), at: t.at };
      case 'string':
        return { kind: 'literal', value: t.text, at: t.at };
      case 'quoted-name':
        return { kind: 'column', name: t.text, at: t.at };
      case 'name': {
        const word = t.text.toLowerCase();
        if (word === 'true' || word === 'false') return { kind: 'literal', value: word === 'true', at: t.at };
        if (word === 'null') return { kind: 'literal', value: null, at: t.at };
        if (isOp(peek(), '(')) {
          p++;
          const args: Node[] = [];
          if (!isOp(peek(), ')')) {
            args.push(or());
            while (isOp(peek(), ',')) {
              p++;
              args.push(or());
            }
          }
          expect(')');
          return { kind: 'call', name: word, args, at: t.at };
        }
        if (keywords.has(word)) fail(source, t.at, `"${t.text}" needs a value before it`);
        return { kind: 'column', name: t.text, at: t.at };
      }
      case 'op':
        if (t.text === '(') {
          const inner = or();
          expect(')');
          return inner;
        }
        return fail(source, t.at, `expected a value, found "${t.text}"`);
      case 'end':
        return fail(source, t.at, 'expected a value before the end');
    }
  };

  const tree = or();
  if (peek().kind !== 'end') fail(source, peek().at, `unexpected "${peek().text}"`);
  return tree;
}

/** A compiled expression: its result type and a function of the row index. */
export interface Compiled {
  type: ValueType;
  at: (row: number) => Value;
}

function columnReader(column: Column): Compiled {
  if (column.kind === 'string') {
    const { codes, dictionary } = column;
    return { type: 'string', at: (r) => (codes[r]! < 0 ? null : dictionary[codes[r]!]!) };
  }
  const values = column.values;
  if (column.type === 'boolean') return { type: 'boolean', at: (r) => (Number.isNaN(values[r]!) ? null : values[r] !== 0) };
  return {
    type: column.type === 'datetime' ? 'datetime' : 'number',
    at: (r) => (Number.isNaN(values[r]!) ? null : values[r]!),
  };
}

type Fn = (...args: Value[]) => Value;
interface FunctionSpec {
  /** Argument count: exact, or [min, max] (max Infinity for variadic). */
  arity: number | [number, number];
  /** The result type from the argument types, or a message naming what is wrong with them. */
  type: (args: ValueType[]) => ValueType | { problem: string };
  /** Called with every argument; `nullSafe` functions see missing values, the rest return null on any. */
  fn: Fn;
  nullSafe?: boolean;
}

const problem = (text: string) => ({ problem: text });
const numeric = (t: ValueType) => t === 'number' || t === 'null';
const stringy = (t: ValueType) => t === 'string' || t === 'null';
const allNumbers = (result: ValueType) => (args: ValueType[]) => (args.every(numeric) ? result : problem('expects numbers'));
const allStrings = (result: ValueType) => (args: ValueType[]) => (args.every(stringy) ? result : problem('expects text'));
const dateOnly = (args: ValueType[]) => (args[0] === 'datetime' || args[0] === 'null' ? 'number' : problem('expects a datetime'));
const text = (v: Value) => (typeof v === 'number' && !Number.isFinite(v) ? null : String(v));
const utc = (v: Value) => new Date(v as number);
/** The one type several values share (null fits any); undefined when they disagree. */
function common(types: ValueType[]): ValueType | undefined {
  const real = [...new Set(types.filter((t) => t !== 'null'))];
  if (real.length === 0) return 'null';
  return real.length === 1 ? real[0] : undefined;
}

const functions: Record<string, FunctionSpec> = {
  abs: { arity: 1, type: allNumbers('number'), fn: (x) => Math.abs(x as number) },
  round: {
    arity: [1, 2],
    type: allNumbers('number'),
    fn: (x, digits) => {
      const f = 10 ** ((digits as number | undefined) ?? 0);
      return Math.round((x as number) * f) / f;
    },
  },
  floor: { arity: 1, type: allNumbers('number'), fn: (x) => Math.floor(x as number) },
  ceil: { arity: 1, type: allNumbers('number'), fn: (x) => Math.ceil(x as number) },
  sqrt: { arity: 1, type: allNumbers('number'), fn: (x) => ((x as number) < 0 ? null : Math.sqrt(x as number)) },
  ln: { arity: 1, type: allNumbers('number'), fn: (x) => ((x as number) <= 0 ? null : Math.log(x as number)) },
  log10: { arity: 1, type: allNumbers('number'), fn: (x) => ((x as number) <= 0 ? null : Math.log10(x as number)) },
  exp: { arity: 1, type: allNumbers('number'), fn: (x) => Math.exp(x as number) },
  pow: { arity: 2, type: allNumbers('number'), fn: (x, y) => (x as number) ** (y as number) },
  min: { arity: [1, Infinity], type: allNumbers('number'), fn: (...xs) => Math.min(...(xs as number[])) },
  max: { arity: [1, Infinity], type: allNumbers('number'), fn: (...xs) => Math.max(...(xs as number[])) },
  lower: { arity: 1, type: allStrings('string'), fn: (s) => (s as string).toLowerCase() },
  upper: { arity: 1, type: allStrings('string'), fn: (s) => (s as string).toUpperCase() },
  trim: { arity: 1, type: allStrings('string'), fn: (s) => (s as string).trim() },
  length: { arity: 1, type: allStrings('number'), fn: (s) => [...(s as string)].length },
  contains: { arity: 2, type: allStrings('boolean'), fn: (s, sub) => (s as string).includes(sub as string) },
  starts_with: { arity: 2, type: allStrings('boolean'), fn: (s, sub) => (s as string).startsWith(sub as string) },
  ends_with: { arity: 2, type: allStrings('boolean'), fn: (s, sub) => (s as string).endsWith(sub as string) },
  replace: { arity: 3, type: allStrings('string'), fn: (s, a, b) => (s as string).split(a as string).join(b as string) },
  substr: {
    arity: [2, 3],
    type: (args) => (stringy(args[0]!) && args.slice(1).every(numeric) ? 'string' : problem('expects (text, start[, length])')),
    // 1-based, as in SQL.
    fn: (s, start, length) => {
      const chars = [...(s as string)];
      const from = Math.max(0, (start as number) - 1);
      return chars.slice(from, length === undefined ? undefined : from + Math.max(0, length as number)).join('');
    },
  },
  concat: {
    arity: [1, Infinity],
    type: () => 'string',
    nullSafe: true,
    fn: (...xs) => xs.map((x) => (x === null ? '' : typeof x === 'boolean' ? String(x) : text(x))).join(''),
  },
  coalesce: {
    arity: [1, Infinity],
    type: (args) => common(args) ?? problem('expects values of one type'),
    nullSafe: true,
    fn: (...xs) => xs.find((x) => x !== null) ?? null,
  },
  if: {
    arity: 3,
    type: (args) =>
      args[0] !== 'boolean' && args[0] !== 'null'
        ? problem('expects a condition first')
        : (common(args.slice(1)) ?? problem('expects both branches of one type')),
    nullSafe: true,
    fn: (c, a, b) => (c === true ? a : b),
  },
  number: {
    arity: 1,
    type: (args) => (args[0] === 'datetime' ? problem('expects text, a number or a boolean') : 'number'),
    fn: (x) => {
      if (typeof x === 'boolean') return x ? 1 : 0;
      const n = typeof x === 'number' ? x : Number((x as string).trim());
      return (x as string) === '' || Number.isNaN(n) ? null : n;
    },
  },
  text: {
    arity: 1,
    type: () => 'string',
    fn: (x) => text(x),
  },
  date: {
    arity: 1,
    type: (args) => (stringy(args[0]!) || args[0] === 'datetime' ? 'datetime' : problem('expects ISO-8601 text')),
    fn: (x) => {
      if (typeof x === 'number') return x;
      const t = parseIsoDate(x as string);
      return Number.isNaN(t) ? null : t;
    },
  },
  year: { arity: 1, type: dateOnly, fn: (d) => utc(d).getUTCFullYear() },
  month: { arity: 1, type: dateOnly, fn: (d) => utc(d).getUTCMonth() + 1 },
  day: { arity: 1, type: dateOnly, fn: (d) => utc(d).getUTCDate() },
  hour: { arity: 1, type: dateOnly, fn: (d) => utc(d).getUTCHours() },
  /** ISO weekday: 1 is Monday, 7 is Sunday. */
  weekday: { arity: 1, type: dateOnly, fn: (d) => utc(d).getUTCDay() || 7 },
  days_between: {
    arity: 2,
    type: (args) => (args.every((t) => t === 'datetime' || t === 'null') ? 'number' : problem('expects two datetimes')),
    fn: (a, b) => ((b as number) - (a as number)) / 86_400_000,
  },
};

/** The functions the language knows, for error messages and the console's help. */
export const expressionFunctions = Object.keys(functions).sort();

function compileNode(source: string, node: Node, frame: Frame): Compiled {
  switch (node.kind) {
    case 'literal': {
      const v = node.value;
      const type: ValueType =
        v === null ? 'null' : typeof v === 'number' ? 'number' : typeof v === 'string' ? 'string' : 'boolean';
      return { type, at: () => v };
    }
    case 'column': {
      const column = frame.columns.find((c) => c.name === node.name);
      if (column === undefined) {
        const names = frame.columns.map((c) => c.name);
        fail(
          source,
          node.at,
          `no column "${node.name}" (columns: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''})`,
        );
      }
      return columnReader(column);
    }
    case 'unary': {
      const operand = compileNode(source, node.operand, frame);
      if (node.op === '-') {
        if (!numeric(operand.type)) fail(source, node.at, `"-" expects a number, not ${operand.type}`);
        return { type: 'number', at: (r) => (operand.at(r) === null ? null : -(operand.at(r) as number)) };
      }
      if (operand.type !== 'boolean' && operand.type !== 'null')
        fail(source, node.at, `"not" expects a condition, not ${operand.type}`);
      return {
        type: 'boolean',
        at: (r) => {
          const v = operand.at(r);
          return v === null ? null : !v;
        },
      };
    }
    case 'is-null': {
      const operand = compileNode(source, node.operand, frame);
      return { type: 'boolean', at: (r) => (operand.at(r) === null) !== node.negated };
    }
    case 'in': {
      const operand = compileNode(source, node.operand, frame);
      const list = node.list.map((item) => compileNode(source, item, frame));
      if (common([operand.type, ...list.map((l) => l.type)]) === undefined)
        fail(source, node.at, `"in" compares values of one type (${operand.type} against ${list.map((l) => l.type).join(', ')})`);
      return {
        type: 'boolean',
        at: (r) => {
          const v = operand.at(r);
          if (v === null) return null;
          const found = list.some((item) => item.at(r) === v);
          return found !== node.negated;
        },
      };
    }
    case 'binary':
      return compileBinary(source, node, frame);
    case 'call': {
      const spec = functions[node.name];
      if (spec === undefined) fail(source, node.at, `no function "${node.name}" (functions: ${expressionFunctions.join(', ')})`);
      const [lo, hi] = typeof spec.arity === 'number' ? [spec.arity, spec.arity] : spec.arity;
      if (node.args.length < lo || node.args.length > hi)
        fail(
          source,
          node.at,
          `${node.name}() takes ${lo === hi ? lo : hi === Infinity ? `${lo} or more` : `${lo} to ${hi}`} arguments`,
        );
      const args = node.args.map((a) => compileNode(source, a, frame));
      const type = spec.type(args.map((a) => a.type));
      if (typeof type === 'object')
        fail(source, node.at, `${node.name}() ${type.problem} (given ${args.map((a) => a.type).join(', ')})`);
      const fn = spec.fn;
      const values: Value[] = new Array<Value>(args.length);
      return {
        type,
        at: (r) => {
          for (let i = 0; i < args.length; i++) {
            const v = args[i]!.at(r);
            if (v === null && spec.nullSafe !== true) return null;
            values[i] = v;
          }
          const out = fn(...values);
          return typeof out === 'number' && !Number.isFinite(out) ? null : out;
        },
      };
    }
  }
}

function compileBinary(source: string, node: Extract<Node, { kind: 'binary' }>, frame: Frame): Compiled {
  const left = compileNode(source, node.left, frame);
  const right = compileNode(source, node.right, frame);
  const { op } = node;
  if (op === 'and' || op === 'or') {
    for (const side of [left, right])
      if (side.type !== 'boolean' && side.type !== 'null') fail(source, node.at, `"${op}" joins conditions, not ${side.type}`);
    const isAnd = op === 'and';
    return {
      type: 'boolean',
      // Three-valued: false and missing is false, true or missing is true, otherwise missing stays missing.
      at: (r) => {
        const a = left.at(r);
        if (a === !isAnd) return a;
        const b = right.at(r);
        if (b === !isAnd) return b;
        return a === null || b === null ? null : isAnd;
      },
    };
  }
  if (['=', '!=', '<', '<=', '>', '>='].includes(op)) {
    if (common([left.type, right.type]) === undefined)
      fail(source, node.at, `"${op}" compares values of one type, not ${left.type} with ${right.type}`);
    const test: (a: Value, b: Value) => boolean =
      op === '='
        ? (a, b) => a === b
        : op === '!='
          ? (a, b) => a !== b
          : op === '<'
            ? (a, b) => a! < b!
            : op === '<='
              ? (a, b) => a! <= b!
              : op === '>'
                ? (a, b) => a! > b!
                : (a, b) => a! >= b!;
    return {
      type: 'boolean',
      at: (r) => {
        const a = left.at(r);
        const b = right.at(r);
        return a === null || b === null ? null : test(a, b);
      },
    };
  }
  // Arithmetic; a datetime plus or minus a number of days is a datetime, a datetime minus a datetime is days.
  const dateArithmetic = left.type === 'datetime' && (op === '+' || op === '-') && numeric(right.type);
  const dateDifference = left.type === 'datetime' && right.type === 'datetime' && op === '-';
  if (!dateArithmetic && !dateDifference && !(numeric(left.type) && numeric(right.type)))
    fail(
      source,
      node.at,
      `"${op}" expects numbers, not ${left.type} and ${right.type}${op === '+' ? ' (concat() joins text)' : ''}`,
    );
  const day = 86_400_000;
  const apply: (a: number, b: number) => number = dateArithmetic
    ? op === '+'
      ? (a, b) => a + b * day
      : (a, b) => a - b * day
    : dateDifference
      ? (a, b) => (a - b) / day
      : op === '+'
        ? (a, b) => a + b
        : op === '-'
          ? (a, b) => a - b
          : op === '*'
            ? (a, b) => a * b
            : op === '/'
              ? (a, b) => a / b
              : (a, b) => a % b;
  return {
    type: dateArithmetic ? 'datetime' : 'number',
    at: (r) => {
      const a = left.at(r);
      const b = right.at(r);
      if (a === null || b === null) return null;
      const v = apply(a as number, b as number);
      // Division by zero is missing, not Infinity: a stored column holds no infinities.
      return Number.isFinite(v) ? v : null;
    },
  };
}

/** Parses and type-checks an expression against a frame's columns. */
export function compileExpression(source: string, frame: Frame): Compiled {
  if (source.trim().length === 0) fail(source, 0, 'is empty');
  return compileNode(source, parse(source), frame);
}

/** The column type a derived column gets for an expression's result type. */
export function columnTypeOf(type: ValueType): ColumnType {
  switch (type) {
    case 'number':
    case 'null':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'datetime':
      return 'datetime';
    case 'string':
      return 'categorical';
  }
}
