import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame } from '../../main/table/frame.js';
import {
  applyPolicies,
  generaliseValue,
  isIban,
  isPersonName,
  isPaymentCard,
  isUsSsn,
  kAnonymity,
  luhnValid,
  maskValue,
  protectQuarantined,
  pseudonym,
  scanFrame,
} from '../../main/privacy/pii.js';
import { buildCorpus, scoreCorpus } from '../fixtures/pii-corpus.js';
import { buildNameCorpus, heldOut, scoreNameCorpus } from '../fixtures/name-corpus.js';
import { foldName, nameLists } from '../../main/privacy/person-names.js';
import { columnFromValues } from '../../main/data/transforms.js';

function stringColumn(name: string, values: (string | null)[]) {
  const dictionary = [...new Set(values.filter((v): v is string => v !== null))];
  return {
    kind: 'string' as const,
    name,
    type: 'categorical' as const,
    dictionary,
    codes: Int32Array.from(values, (v) => (v === null ? -1 : dictionary.indexOf(v))),
  };
}

describe('PII detectors', () => {
  it('validate checksums: Luhn, IBAN mod 97, SSN rules', () => {
    assert.equal(luhnValid('79927398713'), true); // the textbook example
    assert.equal(luhnValid('79927398710'), false);
    assert.equal(isPaymentCard('4111 1111 1111 1111'), true);
    assert.equal(isPaymentCard('4111-1111-1111-1112'), false);
    assert.equal(isPaymentCard('9111111111111111'), false, 'valid Luhn, but no scheme issues 9…');
    assert.equal(isIban('GB82 WEST 1234 5698 7654 32'), true); // ISO 13616's example
    assert.equal(isIban('DE89370400440532013000'), true);
    assert.equal(isIban('DE89370400440532013001'), false);
    assert.equal(isIban('NL91ABNA041716430'), false, 'one character short for NL');
    assert.equal(isUsSsn('123-45-6789'), true);
    for (const bad of ['000-45-6789', '666-45-6789', '912-45-6789', '123-00-6789', '123-45-0000'])
      assert.equal(isUsSsn(bad), false, bad);
  });

  it('find the personal columns of a table and suggest a policy, leaving the others alone', () => {
    const frame: Frame = {
      rowCount: 4,
      columns: [
        stringColumn('contact', ['ann@example.com', 'bob@example.org', null, 'eve@corp.example.co.uk']),
        stringColumn('customer', ['Ann Smith', 'Bob Jones', 'Maria Garcia', 'Eve Martin']),
        stringColumn('zip', ['94105', '10001', '60601', '73301']),
        stringColumn('plan', ['gold', 'silver', 'gold', 'bronze']),
        { kind: 'numeric', name: 'amount', type: 'number', values: Float64Array.of(12.5, 99, 3.25, 40) },
      ],
    };
    assert.deepEqual(
      scanFrame(frame).map((d) => [d.column, d.type, d.suggested, d.confidence]),
      [
        ['contact', 'email', 'hash', 1],
        ['customer', 'person-name', 'hash', 1],
        ['zip', 'postcode', 'generalise', 1],
      ],
    );
  });

  it('meet precision and recall on a labelled corpus (≥ 0.95 for the checksum-validated types)', () => {
    const table = scoreCorpus(buildCorpus());
    for (const row of table) {
      assert.ok(row.positives >= 150, `${row.type}: ${row.positives} positives`);
      // A fifth of the corpus's names are from outside the bundled list and are missed: recall is lower there.
      const floor = row.type === 'payment-card' || row.type === 'iban' ? 0.95 : row.type === 'person-name' ? 0.7 : 0.85;
      assert.ok(row.precision >= floor && row.recall >= floor, `${row.type}: precision ${row.precision}, recall ${row.recall}`);
    }
  });
});

describe('personal-name columns', () => {
  it('are found across regions, and products, places, firms, colours, codes, text and titles are not (≥ 0.9)', () => {
    // Seed 7 was never used in tuning (the bench tunes on seed 1); about 30% of its name words are held out of the list.
    const corpus = buildNameCorpus(7);
    const { given, family } = nameLists();
    const held = Object.values(heldOut).flatMap((r) => [...r.given, ...r.family]);
    for (const name of held) assert.ok(!given.has(foldName(name)) && !family.has(foldName(name)), `${name} is in the list`);
    const heldWords = new Set(held.map((n) => foldName(n)));
    const words = corpus.filter((c) => c.isName).flatMap((c) => c.values.flatMap((v) => v.replace(',', '').split(' ')));
    const unlisted = words.filter((w) => heldWords.has(foldName(w))).length / words.length;
    assert.ok(unlisted >= 0.2, `only ${unlisted} of the test's name words are held out`);
    const score = scoreNameCorpus(corpus, (c) =>
      scanFrame({ rowCount: c.values.length, columns: [columnFromValues(c.column, 'text', c.values)] }).some(
        (d) => d.type === 'person-name',
      ),
    );
    assert.ok(score.precision >= 0.9 && score.recall >= 0.9, JSON.stringify({ ...score, misses: score.misses.slice(0, 10) }));
    // Every region is found in at least nine columns of ten.
    for (const [group, accuracy] of Object.entries(score.byGroup)) assert.ok(accuracy >= 0.9, `${group}: ${accuracy}`);
  });

  it('read one value on its own: a known given and family name, diacritics folded, particles and initials', () => {
    for (const name of [
      'Wang Wei',
      'Nguyễn Thị Mai',
      'Ngozi Okonkwo',
      'José Hernández',
      'Łukasz Wiśniewski',
      'Omar al-Farsi',
      'J. Smith',
      'Dr. Priya Sharma',
    ])
      assert.equal(isPersonName(name), true, name);
    for (const other of ['Santa Clara', 'Kuala Lumpur', 'Rose Gold', 'Acme Corporation', 'War and Peace', 'Li 42', 'wang'])
      assert.equal(isPersonName(other), false, other);
  });
});

describe('PII policies', () => {
  const key = Buffer.alloc(32, 7);
  it('mask, pseudonymise with a key, and generalise to known answers', () => {
    assert.equal(maskValue('payment-card', '4111 1111 1111 1234'), '**** **** **** 1234');
    assert.equal(maskValue('email', 'ann.smith@example.com'), 'a***@example.com');
    assert.equal(maskValue('phone', '+44 20 7946 0958'), '+** ** **** 0958');
    assert.equal(pseudonym(key, 'ann@example.com'), pseudonym(key, 'ann@example.com'));
    assert.notEqual(pseudonym(key, 'ann@example.com'), pseudonym(Buffer.alloc(32, 8), 'ann@example.com'));
    assert.match(pseudonym(key, 'x'), /^h_[A-Za-z0-9_-]{22}$/);
    assert.equal(generaliseValue('date-of-birth', '1984-03-02'), '1984');
    assert.equal(generaliseValue(null, '37'), '30-39');
    assert.equal(generaliseValue('postcode', 'SW1A 1AA'), 'SW1A');
    assert.equal(generaliseValue('postcode', '94105'), '941**');
    assert.equal(generaliseValue('ipv4', '192.168.10.77'), '192.168.10.0/24');
  });

  it('apply to a frame before it is stored: drop, hash (joins still work), generalise', () => {
    const frame: Frame = {
      rowCount: 3,
      columns: [
        stringColumn('email', ['ann@example.com', 'bob@example.org', 'ann@example.com']),
        stringColumn('notes', ['called twice', null, 'VIP']),
        { kind: 'numeric', name: 'age', type: 'integer', values: Float64Array.of(34, 41, Number.NaN) },
      ],
    };
    const out = applyPolicies(
      frame,
      {
        email: { policy: 'hash', type: 'email' },
        notes: { policy: 'drop', type: null },
        age: { policy: 'generalise', type: null },
      },
      key,
    );
    assert.deepEqual(
      out.columns.map((c) => c.name),
      ['email', 'age'],
    );
    const email = out.columns[0]!;
    assert.ok(email.kind === 'string');
    assert.deepEqual(Array.from(email.codes), [0, 1, 0], 'the same person keeps one token');
    assert.equal(email.dictionary[0], pseudonym(key, 'ann@example.com'));
    const age = out.columns[1]!;
    assert.ok(age.kind === 'string');
    assert.deepEqual(
      Array.from(age.codes, (c) => (c < 0 ? null : age.dictionary[c])),
      ['30-39', '40-49', null],
    );
    assert.throws(() => applyPolicies(frame, { nope: { policy: 'drop', type: null } }, key), { code: 'VALIDATION_FAILED' });
  });

  it('protect quarantined records: fields transformed or left out, reasons rewritten, unsplit lines withheld', () => {
    const policies = {
      email: { policy: 'hash', type: 'email' },
      name: { policy: 'drop', type: 'person-name' },
      dob: { policy: 'generalise', type: 'date-of-birth' },
      plan: { policy: 'keep', type: null },
    } as const;
    const cast = protectQuarantined(
      {
        line: 3,
        reason: 'cast: "email" value "ann@example.com" is not a number',
        raw: JSON.stringify({ email: 'ann@example.com', name: 'Ann Smith', dob: '31/12/1969', plan: 'gold' }),
      },
      policies,
      key,
    );
    const token = pseudonym(key, 'ann@example.com');
    assert.deepEqual(cast, {
      line: 3,
      reason: `cast: "email" value "${token}" is not a number`,
      raw: JSON.stringify({ email: token, dob: '(withheld)', plan: 'gold' }),
    });
    // Already protected upstream: unchanged (the policies are idempotent).
    assert.deepEqual(protectQuarantined(cast, policies, key), cast);
    const line = protectQuarantined(
      { line: 9, reason: 'expected 4 fields, found 5', raw: 'ann@example.com,Ann,x,y,z' },
      policies,
      key,
    );
    assert.equal(line.reason, 'expected 4 fields, found 5');
    assert.doesNotMatch(line.raw, /ann@example\.com|Ann/);
    // No policy but keep: nothing to hide.
    const plain = { line: 1, reason: 'r', raw: 'ann@example.com' };
    assert.equal(protectQuarantined(plain, { plan: { policy: 'keep', type: null } }, key), plain);
  });

  it('k-anonymity finds the smallest group over the quasi-identifiers', () => {
    const frame: Frame = {
      rowCount: 6,
      columns: [
        stringColumn('zip3', ['941', '941', '941', '100', '100', '606']),
        stringColumn('band', ['30-39', '30-39', '30-39', '40-49', '40-49', '30-39']),
      ],
    };
    const report = kAnonymity(frame, ['zip3', 'band'], 2);
    assert.deepEqual(
      { k: report.k, groups: report.groups, groupsBelowK: report.groupsBelowK, rowsBelowK: report.rowsBelowK },
      { k: 1, groups: 3, groupsBelowK: 1, rowsBelowK: 1 },
    );
    assert.deepEqual(report.smallest[0], { values: ['606', '30-39'], rows: 1 });
  });
});
