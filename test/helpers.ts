import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../main/stats/random.js';
import type { Design } from '../main/models/preprocess.js';

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'hearth-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFile(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * A deterministic labelled table with numeric, categorical and boolean inputs and missing cells.
 * binary: `label` good/bad from a logistic model; multiclass: `kind` a/b/c; regression: `amount`.
 */
export function syntheticCsv(task: 'binary' | 'multiclass' | 'regression', rows: number, seed = 7): string {
  const random = seededRandom(seed);
  const colours = ['red', 'green', 'blue', 'amber'];
  const effect: Record<string, number> = { red: 1.2, green: -0.8, blue: 0.3, amber: 0 };
  const target = task === 'binary' ? 'label' : task === 'multiclass' ? 'kind' : 'amount';
  const lines = [`x1,x2,colour,flag,${target}`];
  for (let i = 0; i < rows; i++) {
    const x1 = gaussian(random);
    const x2 = 3 + 2 * gaussian(random);
    const colour = colours[Math.floor(random() * colours.length)]!;
    const flag = random() < 0.3;
    const signal = 1.5 * x1 - 0.7 * (x2 - 3) + effect[colour]! + (flag ? 0.8 : 0);
    let y: string;
    if (task === 'binary') y = random() < 1 / (1 + Math.exp(-signal)) ? 'good' : 'bad';
    else if (task === 'multiclass') {
      const noisy = signal + 0.5 * gaussian(random);
      y = noisy < -0.7 ? 'a' : noisy < 1 ? 'b' : 'c';
    } else y = (10 + 4 * signal + gaussian(random)).toFixed(4);
    const cell = (v: string): string => (random() < 0.05 ? '' : v);
    lines.push([cell(x1.toFixed(5)), cell(x2.toFixed(4)), cell(colour), cell(String(flag)), y].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A binary target from three numbers and a five-level category (about 0.93 test ROC AUC for boosting), and,
 * with `noise`, a 400-level category drawn independently of everything: a column worth nothing.
 */
export function noiseCategoryCsv(rows: number, seed: number, noise: boolean): string {
  const random = seededRandom(seed);
  const effect: Record<string, number> = { a: 1, b: -1, c: 0.5, d: 0, e: -0.5 };
  const lines = [`x1,x2,x3,c${noise ? ',noise' : ''},y`];
  for (let i = 0; i < rows; i++) {
    const [x1, x2, x3] = [gaussian(random), gaussian(random), gaussian(random)];
    const c = 'abcde'[Math.floor(random() * 5)]!;
    const signal = 1.5 * x1 - x2 + 0.5 * x3 * x3 + effect[c]! - 0.5;
    const y = random() < 1 / (1 + Math.exp(-2 * signal)) ? 'pos' : 'neg';
    const level = `L${Math.floor(random() * 400)}`;
    lines.push([x1.toFixed(4), x2.toFixed(4), x3.toFixed(4), c, ...(noise ? [level] : []), y].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Starts a process that prints one JSON document with a `url` on stdout (as `hearth serve --json` does) and
 * resolves once that document is whole.
 */
export function startJsonChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      try {
        resolve({ child, url: (JSON.parse(out) as { url: string }).url });
      } catch {
        // not a whole document yet
      }
    });
    child.on('exit', (code) => reject(new Error(`${command} ${args[0] ?? ''} exited with ${code}`)));
  });
}

/** Predictions without their prediction-log ids (which differ per request), to compare what two models answered. */
export function withoutIds<T extends { id?: string }>(predictions: T[]): Omit<T, 'id'>[] {
  return predictions.map(({ id: _id, ...rest }) => rest);
}

/** Polls `condition` every 20 ms until it holds, failing with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** XOR of two signs: no linear model beats chance on it; a hidden layer must. */
export function xorDesign(rows: number, seed: number): { design: Design; targets: Int32Array } {
  const random = seededRandom(seed);
  const a = new Float64Array(rows);
  const b = new Float64Array(rows);
  const targets = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    a[i] = 2 * random() - 1;
    b[i] = 2 * random() - 1;
    targets[i] = a[i]! * b[i]! > 0 ? 1 : 0;
  }
  return { design: { rows, numeric: [a, b], categorical: [], offsets: [], dimension: 2 }, targets };
}
