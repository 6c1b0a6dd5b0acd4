/**
 * How deep parsed JSON or YAML may nest before Hearth refuses it. JSON.parse reads any depth without recursion, but
 * the code after it (flattening, JSON.stringify, zod) recurses, and 10^5 levels overflow the stack; no real record
 * nests past a few dozen levels.
 */
export const maxNesting = 64;

/** Whether `value` holds arrays or objects nested deeper than `max`; walked with an explicit stack, never recursion. */
export function nestedDeeperThan(value: unknown, max = maxNesting): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
