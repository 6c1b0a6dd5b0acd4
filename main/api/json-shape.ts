/**
 * A cheap look at a JSON text's shape before it is parsed. JSON.parse holds the event loop for as long as it takes,
 * and some shapes take long for their size: an object of two million keys (about 23 s for 25 MB), five million
 * nested arrays (11 s). One pass over the characters (about 10 ms a megabyte) refuses those before the parse, so a
 * body within the size limit is also within a time limit. Legitimate bodies are rows: arrays of up to a million
 * elements, objects of up to ten thousand keys (a row's columns), nested a few levels.
 */
export const jsonLimits = { depth: 64, keysPerObject: 10_000, elementsPerArray: 1_000_000 } as const;

/** Why the text is refused (depth, or a container too large), or null when its shape is within the limits. */
export function jsonShapeProblem(
  text: string,
  limits: { depth: number; keysPerObject: number; elementsPerArray: number } = jsonLimits,
): string | null {
  // Per open container: whether it is an object, and how many commas it has seen (members - 1).
  const isObject: boolean[] = [];
  const commas: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: on to its closing quote, found by indexOf (rows are mostly strings, and a look at each of their
      // characters was as long as JSON.parse itself on a single-row request). A quote after an odd run of
      // backslashes is escaped; an unterminated string ends the look (JSON.parse refuses it).
      let end = text.indexOf('"', i + 1);
      while (end > 0 && escapedAt(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) return null;
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (isObject.length >= limits.depth) return `the JSON body nests deeper than ${limits.depth} levels`;
      isObject.push(c === 0x7b);
      commas.push(0);
    } else if (c === 0x7d || c === 0x5d) {
      isObject.pop();
      commas.pop();
    } else if (c === 0x2c && commas.length > 0) {
      const top = commas.length - 1;
      const n = ++commas[top]!;
      if (isObject[top] === true ? n >= limits.keysPerObject : n >= limits.elementsPerArray)
        return isObject[top] === true
          ? `a JSON object in the body has more than ${limits.keysPerObject} keys`
          : `a JSON array in the body has more than ${limits.elementsPerArray} elements`;
    }
  }
  return null;
}

/** Whether the character at `at` follows an odd number of backslashes (so is escaped). */
function escapedAt(text: string, at: number): boolean {
  let backslashes = 0;
  while (at - backslashes - 1 >= 0 && text.charCodeAt(at - backslashes - 1) === 0x5c) backslashes++;
  return backslashes % 2 === 1;
}
