import { readFileSync } from 'node:fs';

/*
 * Personal-name detection for a whole column. A name list alone misses most of the world (the first list held ~500
 * mostly Western names), and no list is complete, so a column is scored on several signals at once: the shape of
 * each value (2–4 capitalised words, initials, particles such as "van der" or "bin"), the share of its words found
 * in a multi-region list of given and family names (resources/pii/names.txt, ~4,000 names), words that mark
 * something else (a place, a firm, a product, a colour), how distinct the values are, and the column's name. The
 * weights were tuned on the seeded corpus of test/fixtures/name-corpus.ts (`npm run bench -- pii`); the unit test
 * measures them on a different seed whose names are partly held out of the list.
 */

interface NameLists {
  given: Set<string>;
  family: Set<string>;
}

let lists: NameLists | undefined;

export function nameLists(): NameLists {
  if (lists !== undefined) return lists;
  const text = readFileSync(new URL('../../../resources/pii/names.txt', import.meta.url), 'utf8');
  const given = new Set<string>();
  const family = new Set<string>();
  let target = given;
  for (const line of text.split('\n')) {
    if (line.startsWith('# given')) target = given;
    else if (line.startsWith('# family')) target = family;
    if (line.startsWith('#')) continue;
    for (const word of line.trim().split(/\s+/)) if (word !== '') target.add(word);
  }
  return (lists = { given, family });
}

/** Lower case without diacritics ("José" → "jose", "Łukasz" → "lukasz"), as the list is written. */
export function foldName(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').replace(/ł/g, 'l').replace(/Ł/g, 'l').replace(/[’`]/g, "'").toLowerCase();
}

/** Lower-case words inside names: Dutch, German, Romance and Arabic particles, and Spanish "y". */
const particles = new Set([
  'van', 'von', 'der', 'den', 'de', 'del', 'della', 'di', 'da', 'das', 'dos', 'do', 'du', 'la', 'le', 'ter', 'ten',
  'bin', 'binti', 'bint', 'ibn', 'al', 'el', 'abu', 'ben', 'bat', 'y', 'e',
]); // prettier-ignore

/** Honorifics before a name ("Dr. Ann Smith"): skipped, neither for nor against. */
const honorifics = new Set([
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'dr',
  'prof',
  'sir',
  'dame',
  'lady',
  'lord',
  'sr',
  'jr',
  'ii',
  'iii',
]);

/**
 * Words that mark a value as something other than a person: places, firms, products, colours, titles of works and
 * jobs. One of them among a value's words makes it no name ("Santa Clara", "Victoria Falls", "Rose Gold").
 */
const notNameWords = new Set(
  `city town village county state province district region republic kingdom island islands isle bay beach coast
  lake river falls springs valley mount mountain hills heights square street st road rd avenue ave drive
  boulevard way place bridge gate harbour harbor port fort north south east west upper lower central new old
  saint san santa sao los las rio airport station centre center tower castle palace church cathedral school
  university college academy institute hospital clinic museum library market mall plaza inc ltd llc plc gmbh ag
  sa bv co corp corporation company companies group holdings partners associates industries international global
  systems solutions services technologies technology labs bank capital trust fund insurance motors airlines
  airways foods brands media network networks consulting logistics pharma energy electric electronics software
  studios records publishing press club team united fc pro max mini ultra plus lite edition series model set
  pack kit bundle case cover cable charger adapter phone laptop tablet watch camera speaker headphones coffee
  tea juice water milk chocolate cookie bread cheese sauce soap shampoo cream lotion oil wine beer bottle box
  bag shirt shoes jacket dress socks chair table lamp sofa desk bed widget gadget tool tools sale deal offer
  discount gift card voucher premium deluxe classic original organic fresh extra large medium small xl xxl red
  orange yellow blue indigo purple pink silver gold golden beige navy teal cyan magenta maroon ivory cream
  crimson scarlet turquoise coral lavender dark light pale bright deep war peace love story tale tales
  chronicles history secret secrets night nights days world worlds life lives time times house game games
  kingdom prince princess queen manager engineer director officer assistant analyst developer designer
  consultant specialist coordinator senior junior chief head lead executive president vice clerk nurse teacher
  driver monday tuesday wednesday thursday friday saturday sunday january february march july september october
  november december spring autumn winter pending active inactive closed open approved rejected cancelled
  delivered shipped returned unknown none null yes no true false total other customer customers client clients
  returning`.split(/\s+/),
);

/** Column names that say "a person's name". */
const nameColumn =
  /^(full_?name|name|names|first_?name|last_?name|surname|family_?name|given_?name|forename|customer|customer_?name|client|client_?name|patient|patient_?name|contact|contact_?name|person|person_?name|employee|employee_?name|owner|owner_?name|holder|account_?holder|card_?holder|applicant|member|member_?name|student|student_?name|recipient|sender|guest|passenger|beneficiary|insured|author|buyer|seller|tenant|driver|resident|user_?full_?name)$/i;
/** Column names that say "something else with a name". */
const otherColumn =
  /(product|item|sku|company|firm|org|business|brand|vendor|supplier|merchant|store|shop|city|town|place|country|state|region|street|address|location|site|file|host|domain|user_?name|login|handle|book|title|song|album|film|movie|model|team|category|segment|tier|type|status|colou?r|code|ref|id$|method|channel|plan|label|tag|note|comment|description|text|message)/i;

function columnHint(column: string): number {
  const name = column.trim().replace(/([a-z])([A-Z])/g, '$1_$2');
  if (otherColumn.test(name) && !nameColumn.test(name)) return -1;
  return nameColumn.test(name) ? 1 : 0;
}

const titleWord = /^\p{Lu}[\p{Ll}'’]*(?:[-'’]\p{Lu}?[\p{Ll}]+)*$|^\p{Lu}\p{Ll}+\p{Lu}\p{Ll}+$|^O['’]\p{Lu}\p{Ll}+$/u;
const upperWord = /^\p{Lu}[\p{Lu}'’-]+$/u;
const initial = /^\p{Lu}\.?$/u;
const prefixed = /^(?:al|el|ben|bin|abu|d['’]|l['’])-?\p{Lu}[\p{Ll}'’-]*$/u;

/** How a word reads in the list: the word itself, without hyphens, or each hyphenated part. */
function known(word: string, list: Set<string>): boolean {
  const w = foldName(word).replace(/^(al|el)-/, '');
  if (list.has(w) || list.has(w.replace(/-/g, '')) || list.has(foldName(word))) return true;
  const parts = w.split('-').filter((p) => p.length > 1);
  return parts.length > 1 && parts.every((p) => list.has(p));
}

export interface NameReading {
  /** 0..1: how much the value looks like a person's name on its own. */
  score: number;
  /** Words found among given names, among family names, and words that are neither particles nor initials. */
  given: number;
  family: number;
  words: number;
  initials: number;
}

/** One value read as a possible personal name (see the file's comment for the signals). */
export function readName(value: string): NameReading {
  const none: NameReading = { score: 0, given: 0, family: 0, words: 0, initials: 0 };
  const trimmed = value.trim().replace(/\s+/g, ' ');
  if (trimmed.length < 3 || trimmed.length > 60 || /[\d@/\\#&+=_:;!?()[\]{}<>|*%$"]/.test(trimmed)) return none;
  // "Family, Given" (at most one comma).
  if ((trimmed.match(/,/g) ?? []).length > 1) return none;
  const tokens = trimmed
    .replace(',', ' ')
    .split(' ')
    .filter((t) => t !== '');
  const { given, family } = nameLists();
  let words = 0;
  let initials = 0;
  let g = 0;
  let f = 0;
  let lower = 0;
  for (const token of tokens) {
    const folded = foldName(token);
    if (particles.has(folded) && token === token.toLowerCase()) continue;
    if (honorifics.has(folded.replace(/\.$/, ''))) continue;
    if (notNameWords.has(folded.replace(/\.$/, ''))) return none;
    if (initial.test(token)) {
      initials++;
      continue;
    }
    const shaped = titleWord.test(token) || upperWord.test(token) || prefixed.test(token);
    if (!shaped) {
      // All lower case ("wang wei"): still a shape names take in exports, weaker evidence.
      if (/^[\p{Ll}'’-]+$/u.test(token)) lower++;
      else return none;
    }
    words++;
    if (known(token, given)) g++;
    if (known(token, family)) f++;
  }
  if (words + initials < 2 || words + initials > 4 || words === 0) return none;
  if (lower > 0 && lower < words) return none;
  // Share of words found in either list; a given and a family name together count for more than either alone.
  const found = tokens.filter((t) => {
    if (initial.test(t) || (particles.has(foldName(t)) && t === t.toLowerCase())) return false;
    if (honorifics.has(foldName(t).replace(/\.$/, ''))) return false;
    return known(t, given) || known(t, family);
  }).length;
  const share = found / words;
  const pair = g > 0 && f > 0 ? 0.1 : 0;
  const caseFactor = lower > 0 ? 0.7 : 1;
  return { score: Math.min(1, caseFactor * (0.45 + 0.45 * share + pair)), given: g, family: f, words, initials };
}

/** A single value that is surely a name: its shape, a known given name (or an initial) and a known family name. */
export function isPersonName(value: string): boolean {
  const r = readName(value);
  return r.score > 0 && (r.given > 0 || r.initials > 0) && r.family > 0;
}

/** The decision threshold on a column's score (tuned with `npm run bench -- pii`). */
export const nameColumnThreshold = 0.6;

/**
 * A column's score as personal names (0..1) and how many values read as names on their own. Values are the
 * column's non-missing texts (a sample will do).
 */
export function personNameColumnScore(values: readonly string[], column: string): { score: number; matched: number } {
  if (values.length === 0) return { score: 0, matched: 0 };
  let total = 0;
  let matched = 0;
  for (const v of values) {
    const r = readName(v);
    total += r.score;
    if (r.score >= 0.7) matched++;
  }
  let score = total / values.length;
  const hint = columnHint(column);
  score += hint > 0 ? 0.2 : hint < 0 ? -0.35 : 0;
  // People's names rarely repeat much in a column; categories, colours and product lines do.
  const distinct = new Set(values).size / values.length;
  if (values.length >= 20 && distinct < 0.2) score -= 0.25;
  return { score: Math.max(0, Math.min(1, Math.round(score * 1000) / 1000)), matched };
}
