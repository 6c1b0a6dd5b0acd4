import type { Column } from './frame.js';

/** Cells read as missing, besides the empty cell (pandas' common defaults, minus ones that are real words). */
const missingTokens = new Set(['NA', 'N/A', 'n/a', 'NaN', 'nan', 'null', 'NULL', 'Null', '#N/A', '-NaN']);
/**
 * Only true/false make a boolean column: yes/no, Y/N and the like stay text (a categorical column of the words as
 * written), so a label written "yes"/"no" comes back from a model as "yes"/"no", not as "true"/"false".
 */
const trueTokens = new Set(['true', 'True', 'TRUE']);
const falseTokens = new Set(['false', 'False', 'FALSE']);

/**
 * How many unparsable cells a numeric or date column tolerates, given its non-empty cells: 5, or 0.1% of them when
 * that is more. Each such cell becomes missing and is reported with its row (see ColumnBuilder.strays), so one typo
 * in a 10,000-row column no longer turns it into text. Checked as the cells stream by (so the stray list stays small,
 * and a text column keeps every cell as written once it turns), and again when the column is finished: a column that
 * turned to text under the running count but is within it over all its cells turns back (see narrowBack), so where
 * the typos sit in the file does not decide (ten in the first hundred rows of 10,000 count as ten spread out).
 */
export function allowedStrays(nonEmpty: number): number {
  return Math.max(5, Math.floor(nonEmpty / 1000));
}

/**
 * A column must also be mostly numbers: at most one stray per 20 non-empty cells (checked when the column is
 * finished), so a small text column with a number or two in it stays text.
 */
function mostlyParsed(strays: number, nonEmpty: number): boolean {
  return strays * 20 <= nonEmpty;
}

/** A cell that did not parse as its column's type and was read as missing: its row (from 0) and its text. */
export interface StrayCell {
  row: number;
  text: string;
  /** Non-empty cells the column had read when it met this one (this one included): for appending parts exactly. */
  seen: number;
}

export function isMissingToken(text: string): boolean {
  return text.length === 0 || missingTokens.has(text);
}

/** 10^k for k = 0..22: every one is exact in a double, which the fast path below relies on. */
const exactPowersOfTen = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

let lastParseWasInteger = false;

/**
 * Parses an ASCII decimal number straight from bytes; NaN when the bytes are not a number.
 * Uses Clinger's fast path (a mantissa below 2^53 times or divided by an exact power of ten is correctly
 * rounded) and falls back to Number() for anything longer, so results equal JavaScript's own parsing.
 */
export function parseNumberBytes(buf: Uint8Array, start: number, end: number): number {
  while (start < end && buf[start] === 0x20) start++;
  while (end > start && buf[end - 1] === 0x20) end--;
  if (start >= end) return Number.NaN;
  let i = start;
  let negative = false;
  const first = buf[i]!;
  if (first === 0x2d || first === 0x2b) {
    negative = first === 0x2d;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let exponent = 0;
  let integer = true;
  while (i < end) {
    const c = buf[i]! - 0x30;
    if (c < 0 || c > 9) break;
    if (significant > 0 || c !== 0) significant++;
    mantissa = mantissa * 10 + c;
    digits++;
    i++;
  }
  if (i < end && buf[i] === 0x2e) {
    integer = false;
    i++;
    while (i < end) {
      const c = buf[i]! - 0x30;
      if (c < 0 || c > 9) break;
      if (significant > 0 || c !== 0) significant++;
      mantissa = mantissa * 10 + c;
      exponent--;
      digits++;
      i++;
    }
  }
  if (digits === 0) return Number.NaN;
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
    integer = false;
    i++;
    let expNegative = false;
    if (i < end && (buf[i] === 0x2d || buf[i] === 0x2b)) {
      expNegative = buf[i] === 0x2d;
      i++;
    }
    let e = 0;
    let expDigits = 0;
    while (i < end) {
      const c = buf[i]! - 0x30;
      if (c < 0 || c > 9) break;
      e = e * 10 + c;
      expDigits++;
      i++;
    }
    if (expDigits === 0) return Number.NaN;
    exponent += expNegative ? -e : e;
  }
  if (i !== end) return Number.NaN;
  let value: number;
  if (significant <= 15 && exponent >= -22 && exponent <= 22) {
    value = exponent < 0 ? mantissa / exactPowersOfTen[-exponent]! : mantissa * exactPowersOfTen[exponent]!;
  } else {
    // The slice includes the sign, so Number() already gives the signed value.
    const signed = Number(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1'));
    lastParseWasInteger = integer && Number.isSafeInteger(signed);
    return signed;
  }
  lastParseWasInteger = integer && Number.isSafeInteger(value);
  return negative ? -value : value;
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A cell's text as a number column reads it (NaN when it is not one): only digits, signs, points and exponents. */
function parseNumberText(text: string): number {
  if (!/^[\s+\-.\deE]+$/.test(text)) return Number.NaN;
  const bytes = Buffer.from(text, 'latin1');
  return parseNumberBytes(bytes, 0, bytes.length);
}

/** Milliseconds since the epoch for an ISO 8601 date or date-time (UTC unless an offset is given); NaN otherwise. */
export function parseIsoDate(text: string): number {
  const m = isoDate.exec(text);
  if (m === null) return Number.NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return Number.NaN;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 60) return Number.NaN;
  const millis = m[7] === undefined ? 0 : Math.round(Number(`0.${m[7]}`) * 1000);
  let t = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return t;
}

type BuilderState = 'empty' | 'numeric' | 'boolean' | 'datetime' | 'string';

/** A ColumnBuilder's state, as sent between threads (see ColumnBuilder.snapshot). */
export interface BuilderSnapshot {
  name: string;
  state: BuilderState;
  length: number;
  values: Float64Array;
  codes: Int32Array;
  dictionary: string[];
  allIntegers: boolean;
  trueSpelling: string;
  falseSpelling: string;
  widenedFrom: BuilderState | null;
  strays: StrayCell[];
  nonEmpty: number;
}

/**
 * The finished column lives in shared memory, so the profiling threads read it in place instead of receiving a
 * copy (on the 1M-row table that copy was 250 MB of extra peak memory).
 */
function sharedCopy<T extends Float64Array | Int32Array>(
  source: T,
  length: number,
  Kind: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
): T {
  const out = new Kind(new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT));
  out.set(source.subarray(0, length));
  return out;
}

const maxCategoricalLevels = 65_536;

/**
 * Strings that repeat enough to be levels (few distinct values, or each seen twice on average) are categorical, up to
 * 65,536 distinct values: airports, aircraft models, postcodes and product codes run to thousands of levels, and a
 * text column is left out of every model. Past the cap, or where most values are one-offs, the column is text.
 */
export function isCategorical(distinct: number, present: number): boolean {
  return distinct <= 20 || (distinct <= maxCategoricalLevels && distinct <= 0.5 * present);
}

/**
 * Accumulates one column while the CSV streams by, inferring its type as it goes. It starts from the first
 * value seen and widens when a later value does not fit (integer → number → string); the only lossy step is a
 * rare widening to string, where earlier numbers are re-formatted by JavaScript's shortest round-trip form.
 */
export class ColumnBuilder {
  private state: BuilderState = 'empty';
  private length = 0;
  private values = new Float64Array(1024);
  private codes = new Int32Array(0);
  private readonly dictionary = new Map<string, number>();
  private allIntegers = true;
  private trueSpelling = 'true';
  private falseSpelling = 'false';
  /** The kind this column had when a value forced it to text (null: text from its first value). */
  private widenedFrom: BuilderState | null = null;
  /**
   * Cells of a numeric or date column (or of one not yet decided) that did not parse, held as missing; empty once
   * the column is text (they are text then).
   */
  private strayCells: StrayCell[] = [];
  /** Non-missing cells read so far. */
  private nonEmpty = 0;

  /**
   * `tolerant: false` turns the column to text at its first unparsable cell, as ingest did before strays were held
   * (an append reads its file so: the rows its schema cannot hold are quarantined whole, not given missing cells).
   */
  constructor(
    readonly name: string,
    private readonly tolerant = true,
  ) {}

  get rowCount(): number {
    return this.length;
  }

  /** Adds one cell given as bytes [start, end) of `buf`; `text` is supplied when the caller already decoded it. */
  push(buf: Buffer, start: number, end: number, text?: string): void {
    if (this.state === 'numeric' && text === undefined) {
      const v = parseNumberBytes(buf, start, end);
      if (!Number.isNaN(v)) {
        if (!lastParseWasInteger) this.allIntegers = false;
        this.nonEmpty++;
        this.pushNumber(v);
        return;
      }
    }
    this.pushText(text ?? buf.toString('utf8', start, end));
  }

  /** The cells read as missing because they did not parse (see allowedStrays); rows from 0. */
  get strays(): readonly StrayCell[] {
    return this.strayCells;
  }

  pushText(text: string): void {
    if (isMissingToken(text)) {
      this.pushMissing();
      return;
    }
    switch (this.state) {
      case 'empty':
        if (!this.decideState(text)) this.pushStrayOrWiden(text);
        else this.pushText(text);
        return;
      case 'numeric': {
        const v = parseNumberText(text);
        if (!Number.isNaN(v)) {
          if (!lastParseWasInteger) this.allIntegers = false;
          this.nonEmpty++;
          this.pushNumber(v);
        } else this.pushStrayOrWiden(text);
        return;
      }
      case 'boolean':
        this.nonEmpty++;
        if (trueTokens.has(text)) {
          this.trueSpelling = text;
          this.pushNumber(1);
        } else if (falseTokens.has(text)) {
          this.falseSpelling = text;
          this.pushNumber(0);
        } else {
          this.widenToString();
          this.pushString(text);
        }
        return;
      case 'datetime': {
        const t = parseIsoDate(text);
        if (!Number.isNaN(t)) {
          this.nonEmpty++;
          this.pushNumber(t);
        } else this.pushStrayOrWiden(text);
        return;
      }
      case 'string':
        this.nonEmpty++;
        this.pushString(text);
        return;
    }
  }

  /**
   * A cell a numeric or date column (or one still undecided) cannot parse: held as missing while the column's
   * strays stay within allowedStrays, else the column turns to text, its strays back to their text (and it may turn
   * back when finished: narrowBack).
   */
  private pushStrayOrWiden(text: string): void {
    this.nonEmpty++;
    if (this.tolerant && this.strayCells.length + 1 <= allowedStrays(this.nonEmpty)) {
      this.strayCells.push({ row: this.length, text, seen: this.nonEmpty });
      this.pushNumber(Number.NaN);
      return;
    }
    this.widenToString();
    this.pushString(text);
  }

  /**
   * A number from JSON: what pushText(JSON.stringify(value)) would do, without the text in between (its
   * shortest form is an integer exactly when the value is an integer below 1e21, where JavaScript turns to exponents).
   */
  pushNumberValue(value: number): void {
    if (this.state === 'empty') this.state = 'numeric';
    if (this.state !== 'numeric') {
      this.pushText(JSON.stringify(value));
      return;
    }
    if (!(Number.isInteger(value) && Math.abs(value) < 1e21)) this.allIntegers = false;
    this.nonEmpty++;
    this.pushNumber(value);
  }

  pushMissing(): void {
    if (this.state === 'string') this.pushCode(-1);
    else this.pushNumber(Number.NaN);
  }

  /**
   * The column's kind from its first parsable value; false when `text` fits no kind (a stray, or the start of a text
   * column: the caller decides). A boolean word after strays makes the column text: booleans tolerate no typo.
   */
  private decideState(text: string): boolean {
    const bytes = Buffer.from(text, 'utf8');
    if (!Number.isNaN(parseNumberBytes(bytes, 0, bytes.length))) this.state = 'numeric';
    else if (trueTokens.has(text) || falseTokens.has(text)) {
      if (this.strayCells.length > 0) this.widenToString();
      else this.state = 'boolean';
    } else if (!Number.isNaN(parseIsoDate(text))) this.state = 'datetime';
    else return false;
    return true;
  }

  private pushNumber(v: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }

  private pushCode(code: number): void {
    if (this.length === this.codes.length) {
      const grown = new Int32Array(Math.max(1024, this.codes.length * 2));
      grown.set(this.codes);
      this.codes = grown;
    }
    this.codes[this.length++] = code;
  }

  private pushString(text: string): void {
    let code = this.dictionary.get(text);
    if (code === undefined) {
      code = this.dictionary.size;
      this.dictionary.set(text, code);
    }
    this.pushCode(code);
  }

  private widenToString(): void {
    const previous = this.state;
    if (previous !== 'empty') this.widenedFrom = previous;
    const values = this.values;
    const n = this.length;
    const strays = this.strayCells;
    this.strayCells = [];
    let next = 0;
    this.state = 'string';
    this.codes = new Int32Array(Math.max(1024, n * 2));
    this.length = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      // A stray is text again, as written.
      if (next < strays.length && strays[next]!.row === i) this.pushString(strays[next++]!.text);
      else if (Number.isNaN(v)) this.pushCode(-1);
      else if (previous === 'boolean') this.pushString(v === 1 ? this.trueSpelling : this.falseSpelling);
      else if (previous === 'datetime') this.pushString(new Date(v).toISOString());
      else this.pushString(String(v));
    }
    this.values = new Float64Array(0);
  }

  /** The builder's whole state, to send to another thread (typed arrays transferable). */
  snapshot(): BuilderSnapshot {
    return {
      name: this.name,
      state: this.state,
      length: this.length,
      values: this.state === 'string' ? new Float64Array(0) : this.values.slice(0, this.length),
      codes: this.state === 'string' ? this.codes.slice(0, this.length) : new Int32Array(0),
      dictionary: [...this.dictionary.keys()],
      allIntegers: this.allIntegers,
      trueSpelling: this.trueSpelling,
      falseSpelling: this.falseSpelling,
      widenedFrom: this.widenedFrom,
      strays: this.strayCells,
      nonEmpty: this.nonEmpty,
    };
  }

  /**
   * Whether this column, reading on, would have held `next`'s strays as strays too: the running count must stay
   * within allowedStrays at each of them, counted from this column's start.
   */
  private wouldHold(next: BuilderSnapshot): boolean {
    return next.strays.every((s, j) => this.strayCells.length + j + 1 <= allowedStrays(this.nonEmpty + s.seen));
  }

  /**
   * Whether appending `next` (the same column read from a later part of the file by a fresh builder) gives
   * exactly what this builder would hold had it read that part itself. A fresh builder differs from one reading on
   * only in what it did before its first text value: so it does when this one has seen only missing cells, when
   * both settled on the same kind (booleans spelt alike), and when the other turned to text from the kind this one
   * has or was text from its first value (this one then widens at the same cell). It does not, for instance, when
   * this one is text and the other read numbers before turning to text: read on, those numbers would have kept
   * their own spelling ("1.50"), not JavaScript's ("1.5").
   */
  canAppend(next: BuilderSnapshot): boolean {
    if (next.length === 0) return true;
    const tolerant = this.state === 'numeric' || this.state === 'datetime';
    // Strays make a fresh start differ from reading on in how many more it tolerates; the parts are appended only
    // where the running count gives what one reader would, else this thread reads the part itself.
    if (next.state === 'empty') {
      if (next.strays.length === 0) return true;
      return this.state === 'string' || ((tolerant || this.state === 'empty') && this.wouldHold(next));
    }
    if (this.state === 'empty') return this.strayCells.length === 0;
    if (tolerant) return this.state === next.state && this.wouldHold(next);
    const sameSpelling = this.trueSpelling === next.trueSpelling && this.falseSpelling === next.falseSpelling;
    if (next.state !== 'string') return this.state === next.state && (this.state !== 'boolean' || sameSpelling);
    if (next.widenedFrom === null) return true;
    return next.widenedFrom === this.state && (this.state !== 'boolean' || sameSpelling);
  }

  /** Appends a later part's cells (see canAppend, which must have said yes). */
  append(next: BuilderSnapshot): void {
    if (next.length === 0) return;
    if (next.state === 'empty') {
      // Missing cells and a few undecided strays: read again here, exactly as reading on would.
      let k = 0;
      for (let i = 0; i < next.length; i++) {
        if (k < next.strays.length && next.strays[k]!.row === i) this.pushText(next.strays[k++]!.text);
        else this.pushMissing();
      }
      return;
    }
    const offset = this.length;
    const seenBefore = this.nonEmpty;
    this.nonEmpty += next.nonEmpty;
    if (this.state === 'empty') {
      // Only missing cells so far: they stay missing in whatever the column becomes.
      const missing = this.length;
      this.state = next.state;
      this.length = 0;
      this.values = new Float64Array(Math.max(1024, missing + next.length));
      this.codes = new Int32Array(0);
      for (let i = 0; i < missing; i++) this.pushMissing();
    } else if (this.state !== next.state) this.widenToString();
    if (this.state === 'string' && this.widenedFrom === null) this.widenedFrom = next.widenedFrom;
    this.allIntegers &&= next.allIntegers;
    if (next.state === 'boolean') {
      this.trueSpelling = next.trueSpelling;
      this.falseSpelling = next.falseSpelling;
    }
    if (next.state === 'string') {
      const remap = next.dictionary.map((text) => {
        let code = this.dictionary.get(text);
        if (code === undefined) {
          code = this.dictionary.size;
          this.dictionary.set(text, code);
        }
        return code;
      });
      for (let i = 0; i < next.length; i++) {
        const c = next.codes[i]!;
        this.pushCode(c < 0 ? -1 : remap[c]!);
      }
      return;
    }
    if (this.length + next.length > this.values.length) {
      const grown = new Float64Array(Math.max(this.values.length * 2, this.length + next.length));
      grown.set(this.values.subarray(0, this.length));
      this.values = grown;
    }
    this.values.set(next.values.subarray(0, next.length), this.length);
    this.length += next.length;
    for (const stray of next.strays)
      this.strayCells.push({ row: stray.row + offset, text: stray.text, seen: stray.seen + seenBefore });
  }

  /**
   * A numeric or date column that turned to text while reading, because its unparsable cells passed the running
   * count early, turns back when they are within allowedStrays of all its cells and it is mostly parsed: its
   * unparsable cells become missing and are reported, as if they had been met spread out. Every number it held as
   * text parses back to the same value (numbers read before the turn were written by String(), the rest as read).
   */
  private narrowBack(): void {
    const kind = this.widenedFrom;
    if (!this.tolerant || this.state !== 'string' || (kind !== 'numeric' && kind !== 'datetime')) return;
    const dictionary = [...this.dictionary.keys()];
    const parsed = dictionary.map((text) => {
      if (kind === 'datetime') return parseIsoDate(text);
      return parseNumberText(text);
    });
    let nonEmpty = 0;
    let strays = 0;
    for (let i = 0; i < this.length; i++) {
      const code = this.codes[i]!;
      if (code < 0) continue;
      nonEmpty++;
      if (Number.isNaN(parsed[code]!)) strays++;
    }
    if (strays > allowedStrays(nonEmpty) || !mostlyParsed(strays, nonEmpty)) return;
    const values = new Float64Array(Math.max(1024, this.length));
    const cells: StrayCell[] = [];
    let seen = 0;
    for (let i = 0; i < this.length; i++) {
      const code = this.codes[i]!;
      if (code < 0) {
        values[i] = Number.NaN;
        continue;
      }
      seen++;
      values[i] = parsed[code]!;
      if (Number.isNaN(parsed[code]!)) cells.push({ row: i, text: dictionary[code]!, seen });
    }
    this.state = kind;
    this.widenedFrom = null;
    this.values = values;
    this.codes = new Int32Array(0);
    this.dictionary.clear();
    this.strayCells = cells;
    this.nonEmpty = nonEmpty;
    this.allIntegers =
      kind === 'numeric' &&
      dictionary.every(
        (text, code) => Number.isNaN(parsed[code]!) || (/^[+-]?\d+$/.test(text.trim()) && Number.isSafeInteger(parsed[code]!)),
      );
  }

  /** The finished column. Strings become categorical when they repeat enough to be levels, else text. */
  finish(): Column {
    // Strays only (a column of a few words and missing cells), or too many for the numbers beside them: text.
    if (this.state === 'empty' && this.strayCells.length > 0) this.widenToString();
    if (this.strayCells.length > 0 && !mostlyParsed(this.strayCells.length, this.nonEmpty)) this.widenToString();
    this.narrowBack();
    const n = this.length;
    if (this.state === 'string') {
      const dictionary = [...this.dictionary.keys()];
      let present = 0;
      const codes = sharedCopy(this.codes, n, Int32Array);
      for (let i = 0; i < n; i++) if (codes[i]! >= 0) present++;
      const distinct = dictionary.length;
      return {
        kind: 'string',
        name: this.name,
        type: isCategorical(distinct, present) ? 'categorical' : 'text',
        codes,
        dictionary,
      };
    }
    const values = this.state === 'empty' ? new Float64Array(n).fill(Number.NaN) : sharedCopy(this.values, n, Float64Array);
    const type =
      this.state === 'boolean'
        ? 'boolean'
        : this.state === 'datetime'
          ? 'datetime'
          : this.state === 'numeric' && this.allIntegers
            ? 'integer'
            : 'number';
    return { kind: 'numeric', name: this.name, type, values };
  }
}
