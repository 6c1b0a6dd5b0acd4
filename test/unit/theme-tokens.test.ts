import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

/*
 * The console's stylesheet writes its dark palette twice (for the system's preference and for the toggle's choice:
 * CSS cannot share one block between a media query and a selector). These checks keep the two copies the same and
 * make every colour token of the light theme have a dark value, so no colour stays light in the dark theme.
 */
const css = readFileSync(fileURLToPath(new URL('../../../renderer/src/styles.css', import.meta.url)), 'utf8');

/** The custom properties declared in the first block whose selector line matches `opening`. */
function tokens(opening: RegExp): Map<string, string> {
  const match = opening.exec(css);
  assert.ok(match, `no block ${opening}`);
  const body = css.slice(match.index + match[0].length, css.indexOf('}', match.index + match[0].length));
  return new Map([...body.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]));
}

const colourToken = (name: string) => /^--(color|chart|series)-/.test(name);

describe('theme tokens in renderer/src/styles.css', () => {
  const light = tokens(/^:root \{\n {2}--font-family/m);
  const preferred = tokens(/@media \(prefers-color-scheme: dark\) \{\s*:root:not\(\[data-theme='light'\]\) \{/);
  const chosen = tokens(/^:root\[data-theme='dark'\] \{/m);

  it('the dark palette chosen with the toggle is the one the system preference gets', () => {
    assert.ok(chosen.size >= 20, `${chosen.size} tokens`);
    assert.deepEqual([...preferred].sort(), [...chosen].sort());
  });

  it('every colour token of the light theme has a dark value of its own', () => {
    const lightColours = [...light.keys()].filter(colourToken);
    assert.ok(lightColours.length >= 20, `${lightColours.length} colour tokens`);
    assert.deepEqual(
      lightColours.filter((name) => !chosen.has(name)),
      [],
    );
    // And the dark theme names no token the light one lacks (a typo would leave a colour undefined in light).
    assert.deepEqual(
      [...chosen.keys()].filter((name) => !light.has(name)),
      [],
    );
  });
});
