import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { HearthError } from '../contracts/errors.js';
import { parseIsoDate } from '../table/column-builder.js';
import type { Column, Frame, StringColumn } from '../table/frame.js';
import { isPersonName, nameColumnThreshold, personNameColumnScore } from './person-names.js';
import { piiTypes, type ColumnPolicy, type PiiDetection, type PiiPolicy, type PiiType } from '../contracts/pii.js';

export { piiPolicies, piiTypes } from '../contracts/pii.js';
export { isPersonName, personNameColumnScore } from './person-names.js';
export type { ColumnPolicy, PiiDetection, PiiPolicy, PiiType } from '../contracts/pii.js';

// ---- value detectors -------------------------------------------------------------------------------------------

const emailPattern = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const isoDatePattern = /^\d{4}-\d{2}-\d{2}/;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of the major card schemes: Luhn alone accepts one random number in ten. */
function knownIssuer(digits: string): boolean {
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  const n = digits.length;
  if (digits.startsWith('4')) return n === 13 || n === 16 || n === 19; // Visa
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return n === 16; // Mastercard
  if (two === 34 || two === 37) return n === 15; // American Express
  if (digits.startsWith('6011') || two === 65 || (four >= 6440 && four <= 6499)) return n >= 16 && n <= 19; // Discover
  if (four >= 3528 && four <= 3589) return n >= 16 && n <= 19; // JCB
  if (two === 36 || two === 38 || (four >= 3000 && four <= 3059)) return n >= 14 && n <= 19; // Diners Club
  if (two === 62) return n >= 16 && n <= 19; // UnionPay
  return false;
}

export function isPaymentCard(value: string): boolean {
  if (!/^\d[\d -]{11,22}\d$/.test(value)) return false;
  const digits = value.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && knownIssuer(digits) && luhnValid(digits);
}

/** IBAN lengths by country (ISO 13616 registry). */
const ibanLengths: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18,
  GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
}; // prettier-ignore

export function isIban(value: string): boolean {
  const compact = value.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  if (ibanLengths[compact.slice(0, 2)] !== compact.length) return false;
  // ISO 7064 mod 97-10: move the first four characters to the end, letters to numbers (A = 10), remainder 1.
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const part = code >= 65 ? String(code - 55) : ch;
    for (const digit of part) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

export function isUsSsn(value: string): boolean {
  const m = /^(\d{3})-(\d{2})-(\d{4})$/.exec(value);
  if (m === null) return false;
  const [area, group, serial] = [m[1]!, m[2]!, m[3]!];
  return area !== '000' && area !== '666' && !area.startsWith('9') && group !== '00' && serial !== '0000';
}

export function isPhone(value: string): boolean {
  if (!/^\+?[\d\s().-]{7,22}$/.test(value) || isoDatePattern.test(value) || /^\d+\.\d+$/.test(value)) return false;
  const digits = value.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return false;
  // A bare run of digits is a phone number only in international form; otherwise it is an id or an amount.
  if (/^\d+$/.test(value)) return false;
  // Shapes that are something else: an SSN's 3-2-4, dotted version numbers and addresses (only 555.123.4567 is a phone).
  if (/^\d{3}-\d{2}-\d{4}$/.test(value) || /^\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,7}$/.test(value)) return false;
  if (/^[\d.]+$/.test(value) && !/^\d{3}\.\d{3}\.\d{4}$/.test(value)) return false;
  if (value.startsWith('+')) return digits.length >= 8;
  // National forms group their digits: (555) 123-4567, 020 7946 0958, 06-12345678.
  return /[\s().-]/.test(value) && !isPaymentCard(value);
}

export function isMac(value: string): boolean {
  return /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(value) || /^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/.test(value);
}

const ukPostcode = /^(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})$/i;
const nlPostcode = /^[1-9]\d{3} ?[A-Z]{2}$/i;
const caPostcode = /^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$/i;
const digitPostcode = /^\d{5}(-\d{4})?$/;

/** Postcodes with a shape of their own (UK, NL, CA); five-digit ones (US, DE, FR) only where the column says so. */
export function isPostcode(value: string, named: boolean): boolean {
  return ukPostcode.test(value) || nlPostcode.test(value) || caPostcode.test(value) || (named && digitPostcode.test(value));
}

function isBirthDate(value: string): boolean {
  const t = parseIsoDate(value.trim());
  if (Number.isNaN(t)) return false;
  const year = new Date(t).getUTCFullYear();
  return year >= 1900 && t <= Date.now();
}

// ---- column scan ----------------------------------------------------------------------------------------------

const nameHints: Partial<Record<PiiType, RegExp>> = {
  email: /e-?mail/i,
  phone: /phone|mobile|tel(ephone)?\b|fax/i,
  'payment-card': /card|pan\b|cc_?num/i,
  iban: /iban|account/i,
  'us-ssn': /ssn|social.?security/i,
  ipv4: /\bip\b|ip_?addr|address/i,
  ipv6: /\bip\b|ip_?addr|address/i,
  mac: /mac/i,
  'date-of-birth': /birth|dob|born/i,
  postcode: /post|zip/i,
  'person-name': /name|customer|patient|person|contact/i,
};

const suggestedPolicy: Record<PiiType, PiiPolicy> = {
  email: 'hash',
  phone: 'mask',
  'payment-card': 'mask',
  iban: 'hash',
  'us-ssn': 'hash',
  ipv4: 'generalise',
  ipv6: 'generalise',
  mac: 'hash',
  'date-of-birth': 'generalise',
  postcode: 'generalise',
  'person-name': 'hash',
};

/** Whether `value` is of `type`; `named` says the column's name suggests the type (postcodes, dates of birth, SSNs). */
export function detectValue(type: PiiType, value: string, named: boolean): boolean {
  switch (type) {
    case 'email':
      return emailPattern.test(value);
    case 'phone':
      return isPhone(value);
    case 'payment-card':
      return isPaymentCard(value);
    case 'iban':
      return isIban(value);
    case 'us-ssn':
      return (
        isUsSsn(value) ||
        (named && /^\d{9}$/.test(value) && isUsSsn(`${value.slice(0, 3)}-${value.slice(3, 5)}-${value.slice(5)}`))
      );
    case 'ipv4':
      return isIPv4(value);
    case 'ipv6':
      return value.includes(':') && isIPv6(value) && !isMac(value);
    case 'mac':
      return isMac(value);
    case 'date-of-birth':
      return named && isBirthDate(value);
    case 'postcode':
      return isPostcode(value, named);
    case 'person-name':
      return isPersonName(value);
  }
}

/** The text of a cell as the detectors read it: integers without a decimal point, dates as ISO text. */
function cellText(column: Column, row: number): string | null {
  if (column.kind === 'string') {
    const code = column.codes[row]!;
    return code < 0 ? null : column.dictionary[code]!;
  }
  const v = column.values[row]!;
  if (Number.isNaN(v)) return null;
  if (column.type === 'datetime') return new Date(v).toISOString().slice(0, 10);
  if (column.type === 'boolean') return null;
  return Number.isInteger(v) ? v.toFixed(0) : String(v);
}

/**
 * Scans up to `sample` non-missing values of each column (spread evenly over the rows) with every detector and
 * reports the types that at least half of them match (a third, when the column's name agrees).
 */
export function scanFrame(frame: Frame, sample = 2000): PiiDetection[] {
  const detections: PiiDetection[] = [];
  for (const column of frame.columns) {
    const values: string[] = [];
    const step = Math.max(1, Math.floor(frame.rowCount / (sample * 2)));
    for (let r = 0; r < frame.rowCount && values.length < sample; r += step) {
      const text = cellText(column, r);
      if (text !== null && text !== '') values.push(text);
    }
    if (values.length === 0) continue;
    let best: PiiDetection | null = null;
    for (const type of piiTypes) {
      if (type === 'person-name') {
        // Names are judged per column, on several signals at once (main/privacy/person-names.ts).
        const { score, matched } = personNameColumnScore(values, column.name);
        if (score >= nameColumnThreshold && (best === null || score > best.confidence))
          best = { column: column.name, type, confidence: round(score), sampled: values.length, matched, suggested: 'hash' };
        continue;
      }
      const named = nameHints[type]?.test(column.name) ?? false;
      let matched = 0;
      for (const v of values) if (detectValue(type, v, named)) matched++;
      const share = matched / values.length;
      const confidence = Math.min(1, share + (named && share > 0 ? 0.2 : 0));
      if (share < (named ? 1 / 3 : 0.5)) continue;
      if (best === null || confidence > best.confidence)
        best = {
          column: column.name,
          type,
          confidence: round(confidence),
          sampled: values.length,
          matched,
          suggested: suggestedPolicy[type],
        };
    }
    if (best !== null) detections.push(best);
  }
  return detections;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

// ---- policies --------------------------------------------------------------------------------------------------

/** Keyed pseudonymisation: the same value gives the same token under one key, so joins and categories still work. */
export function pseudonym(key: Buffer, value: string): string {
  return `h_${createHmac('sha256', key).update(value, 'utf8').digest('base64url').slice(0, 22)}`;
}

export function maskValue(type: PiiType | null, value: string): string {
  if (type === 'email' || (type === null && value.includes('@'))) {
    const at = value.lastIndexOf('@');
    return `${value.slice(0, 1)}***${value.slice(at)}`;
  }
  // Keep the last four letters or digits (what a receipt shows), hide the rest, keep the separators.
  let keep = 4;
  const chars = [...value];
  for (let i = chars.length - 1; i >= 0; i--) {
    if (/[\p{L}\p{N}]/u.test(chars[i]!)) {
      if (keep > 0) keep--;
      else chars[i] = '*';
    }
  }
  return chars.join('');
}

/** A coarser value: a year for a date, a ten-year band for a number, the outward code for a postcode, a /24 or /48. */
export function generaliseValue(type: PiiType | null, value: string): string {
  if (type === 'ipv4' || (type === null && isIPv4(value))) return `${value.split('.').slice(0, 3).join('.')}.0/24`;
  if (type === 'ipv6') {
    const groups = value.split(':');
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  if (type === 'postcode') {
    const compact = value.trim().toUpperCase();
    if (ukPostcode.test(compact)) return compact.replace(/ ?\d[A-Z]{2}$/, '');
    if (nlPostcode.test(compact)) return compact.slice(0, 2);
    if (caPostcode.test(compact)) return compact.slice(0, 3);
    return `${compact.slice(0, 3)}**`;
  }
  const t = parseIsoDate(value.trim());
  if (type === 'date-of-birth' || (!Number.isNaN(t) && isoDatePattern.test(value))) {
    // The value is not quoted: it is the personal data the policy exists to keep out of messages and logs.
    if (Number.isNaN(t)) throw new HearthError('VALIDATION_FAILED', 'a value is not a date to generalise');
    return String(new Date(t).getUTCFullYear());
  }
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n)) {
    const low = Math.floor(n / 10) * 10;
    return `${low}-${low + 9}`;
  }
  throw new HearthError('VALIDATION_FAILED', 'generalise applies to dates, numbers, postcodes and IP addresses; a value is none');
}

/** Whether a value is already in generalise's output form for its type (a band, a year, an outward code, a prefix). */
function alreadyGeneralised(type: PiiType | null, value: string): boolean {
  if (/^\d+-\d+$/.test(value)) return true;
  switch (type) {
    case 'date-of-birth':
      return /^\d{4}$/.test(value);
    case 'postcode':
      return value.endsWith('**') || /^([A-Z]{1,2}\d[A-Z\d]?|[A-Z]\d[A-Z]|\d{2})$/i.test(value);
    case 'ipv4':
      return value.endsWith('.0/24');
    case 'ipv6':
      return value.endsWith('::/48');
    default:
      return false;
  }
}

/**
 * One value under a policy (drop gives null: the column is gone). Idempotent: a value already in the policy's output
 * form passes unchanged, so a caller that pseudonymised or banded upstream is not transformed twice.
 */
export function applyToValue(policy: ColumnPolicy, key: Buffer, value: string): string | null {
  if (policy.policy === 'hash' && /^h_[A-Za-z0-9_-]{22}$/.test(value)) return value;
  if (policy.policy === 'generalise' && alreadyGeneralised(policy.type, value)) return value;
  if (policy.policy === 'mask' && value.includes('*')) return value;
  switch (policy.policy) {
    case 'keep':
      return value;
    case 'drop':
      return null;
    case 'mask':
      return maskValue(policy.type, value);
    case 'hash':
      return pseudonym(key, value);
    case 'generalise':
      return generaliseValue(policy.type, value);
  }
}

/**
 * applyToValue for a named column: a value the policy cannot transform refuses with the column named and the
 * value withheld (an error message reaches the caller, the console and job records).
 */
export function applyToColumnValue(column: string, policy: ColumnPolicy, key: Buffer, value: string): string | null {
  try {
    return applyToValue(policy, key, value);
  } catch (error) {
    if (!(error instanceof HearthError)) throw error;
    throw new HearthError(error.code, `column "${column}" (${policy.policy}): ${error.message}`, { column });
  }
}

/** What a quarantined record shows of a line that never became columns, where some column's raw text must not. */
function withheld(columns: readonly string[]): string {
  return `(withheld: the record could not be read into columns, and PII policies cover ${columns.join(', ')})`;
}

/**
 * A quarantined record under the dataset's policies, before it is stored or shown. A record that was read into
 * fields (the JSON object Hearth writes for rows set aside by a type, a cast or a rule) keeps its fields, the
 * protected ones transformed as the stored rows are (drop: left out); the reason has every raw value of those
 * columns replaced too (a cast or rule reason quotes the value it refused). A raw line that never became fields
 * (a CSV line with a field too many, broken quoting, a line that is not JSON) cannot say which of its parts is the
 * e-mail, so its text is withheld while any column has a policy other than keep. Idempotent: hashing, masking and
 * generalising pass their own output unchanged, so a record already protected upstream is left as it was.
 */
export function protectQuarantined<T extends { reason: string; raw: string }>(
  row: T,
  policies: Record<string, ColumnPolicy>,
  key: Buffer,
): T {
  const active = Object.entries(policies).filter(([, p]) => p.policy !== 'keep');
  if (active.length === 0) return row;
  let fields: unknown;
  try {
    fields = JSON.parse(row.raw);
  } catch {
    fields = null;
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    return { ...row, raw: withheld(active.map(([c]) => c)) };
  const out: Record<string, unknown> = { ...(fields as Record<string, unknown>) };
  let reason = row.reason;
  for (const [column, policy] of active) {
    if (!(column in out)) continue;
    const v = out[column];
    if (v === null || v === undefined || v === '') continue;
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    let replacement: string | null;
    try {
      replacement = applyToValue(policy, key, text);
    } catch {
      // A value the policy cannot transform (a date of birth that is no date) is withheld, not kept.
      replacement = '(withheld)';
    }
    if (replacement === null) delete out[column];
    else out[column] = replacement;
    if (text !== replacement) {
      const shown = replacement ?? '(dropped)';
      reason = reason.split(JSON.stringify(text)).join(JSON.stringify(shown));
      // Unquoted too (a number in a range rule's reason); not for a value of a character or two, which would garble
      // the reason's own words and numbers while hiding next to nothing.
      if (text.length >= 3) reason = reason.split(text).join(shown);
    }
  }
  return { ...row, reason, raw: JSON.stringify(out).slice(0, 1000) };
}

/**
 * Applies column policies to a frame in memory, before it is encoded and written: a dropped column is left out;
 * masked, hashed and generalised ones become text columns of the new values (transformed once per distinct value).
 */
export function applyPolicies(frame: Frame, policies: Record<string, ColumnPolicy>, key: Buffer): Frame {
  for (const name of Object.keys(policies)) {
    if (!frame.columns.some((c) => c.name === name))
      throw new HearthError('VALIDATION_FAILED', `a PII policy names "${name}", which the data has no column of`);
  }
  const columns: Column[] = [];
  for (const column of frame.columns) {
    const policy = policies[column.name];
    if (policy === undefined || policy.policy === 'keep') {
      columns.push(column);
      continue;
    }
    if (policy.policy === 'drop') continue;
    const dictionary: string[] = [];
    const index = new Map<string, number>();
    const memo = new Map<string, number>();
    const codes = new Int32Array(frame.rowCount);
    for (let r = 0; r < frame.rowCount; r++) {
      const text =
        cellText(column, r) ?? (column.kind === 'numeric' && column.type === 'boolean' ? String(column.values[r]) : null);
      if (text === null || text === '') {
        codes[r] = -1;
        continue;
      }
      let code = memo.get(text);
      if (code === undefined) {
        const out = applyToColumnValue(column.name, policy, key, text)!;
        code = index.get(out);
        if (code === undefined) {
          code = dictionary.push(out) - 1;
          index.set(out, code);
        }
        memo.set(text, code);
      }
      codes[r] = code;
    }
    const transformed: StringColumn = { kind: 'string', name: column.name, type: 'categorical', codes, dictionary };
    columns.push(transformed);
  }
  return { rowCount: frame.rowCount, columns };
}

/** k-anonymity over quasi-identifiers: the smallest group of rows sharing one combination of their values. */
export function kAnonymity(
  frame: Frame,
  quasiIdentifiers: readonly string[],
  k: number,
): {
  k: number;
  groups: number;
  groupsBelowK: number;
  rowsBelowK: number;
  smallest: { values: (string | null)[]; rows: number }[];
} {
  const columns = quasiIdentifiers.map((name) => {
    const column = frame.columns.find((c) => c.name === name);
    if (column === undefined) throw new HearthError('VALIDATION_FAILED', `no column "${name}"`);
    return column;
  });
  const counts = new Map<string, number>();
  for (let r = 0; r < frame.rowCount; r++) {
    const key = JSON.stringify(columns.map((c) => cellText(c, r)));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let min = Number.POSITIVE_INFINITY;
  let groupsBelowK = 0;
  let rowsBelowK = 0;
  for (const n of counts.values()) {
    min = Math.min(min, n);
    if (n < k) {
      groupsBelowK++;
      rowsBelowK += n;
    }
  }
  const smallest = [...counts.entries()]
    .sort((a, b) => a[1] - b[1])
    .slice(0, 10)
    .map(([key, rows]) => ({ values: JSON.parse(key) as (string | null)[], rows }));
  return { k: counts.size === 0 ? 0 : min, groups: counts.size, groupsBelowK, rowsBelowK, smallest };
}
