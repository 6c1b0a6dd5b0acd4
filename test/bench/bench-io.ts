// What every bench suite shares: where things are, one JSON line per result, and a child that answers one line.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const sharedBench = join(root, '..', 'shared', 'bench');
export const python = '/usr/bin/python3';

export function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function round(v: number, digits = 3): number {
  return Number(v.toFixed(digits));
}

/** Runs a command that prints JSON lines and answers its last one. */
export function childJson(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Record<string, unknown> {
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as Record<string, unknown>;
}
