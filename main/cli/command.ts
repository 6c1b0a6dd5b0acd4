import type { ParseArgsConfig } from 'node:util';
import type { Handlers } from '../api/handlers.js';
import type { Client } from '../contracts/client.js';
import type { Engine } from '../engine/engine.js';
import type { Output } from './output.js';

/** A wrong invocation: printed with a pointer to --help, exit status 2. */
export class UsageError extends Error {}

/** Every flag of every command: one parser for the whole CLI, so a flag means the same wherever it appears. */
export const options = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  host: { type: 'string' },
  port: { type: 'string' },
  dataset: { type: 'string' },
  target: { type: 'string' },
  task: { type: 'string' },
  algorithm: { type: 'string' },
  model: { type: 'string' },
  l2: { type: 'string' },
  'max-iterations': { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  delimiter: { type: 'string' },
  trees: { type: 'string' },
  'learning-rate': { type: 'string' },
  'max-leaves': { type: 'string' },
  'max-depth': { type: 'string' },
  'min-child-samples': { type: 'string' },
  l1: { type: 'string' },
  'row-subsample': { type: 'string' },
  'col-subsample': { type: 'string' },
  'early-stopping': { type: 'string' },
  threads: { type: 'string' },
  'class-weight': { type: 'string' },
  calibration: { type: 'string' },
  'features-per-split': { type: 'string' },
  'validation-fraction': { type: 'string' },
  folds: { type: 'string' },
  'time-column': { type: 'string' },
  threshold: { type: 'string' },
  resample: { type: 'string' },
  'fp-cost': { type: 'string' },
  'fn-cost': { type: 'string' },
  'group-column': { type: 'string' },
  'time-budget': { type: 'string' },
  'max-latency-us': { type: 'string' },
  'max-size': { type: 'string' },
  weeks: { type: 'string' },
  search: { type: 'string' },
  metric: { type: 'string' },
  'max-loss': { type: 'string' },
  choose: { type: 'string' },
  'test-fraction': { type: 'string' },
  'huber-delta': { type: 'string' },
  'hidden-layers': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  dropout: { type: 'string' },
  backend: { type: 'string' },
  imbalance: { type: 'string' },
  'min-category-rows': { type: 'string' },
  'cat-smooth': { type: 'string' },
  'cat-l2': { type: 'string' },
  'max-cat-threshold': { type: 'string' },
  'min-data-per-group': { type: 'string' },
  'max-cat-to-onehot': { type: 'string' },
  'insecure-http': { type: 'boolean', default: false },
  alias: { type: 'string' },
  name: { type: 'string' },
  classes: { type: 'string' },
  features: { type: 'string' },
  reference: { type: 'string' },
  'append-rows': { type: 'string' },
  pii: { type: 'string' },
  'passphrase-stdin': { type: 'boolean', default: false },
  to: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'drain-seconds': { type: 'string' },
  'request-log': { type: 'string' },
  user: { type: 'string' },
  role: { type: 'string' },
  'keep-versions': { type: 'string' },
  format: { type: 'string' },
  append: { type: 'boolean', default: false },
  'log-days': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  'new-key-file': { type: 'string' },
  'new-passphrase-stdin': { type: 'boolean', default: false },
  limit: { type: 'string' },
  'expires-days': { type: 'string' },
  force: { type: 'boolean', default: false },
  'pii-policy': { type: 'string' },
  columns: { type: 'string' },
  k: { type: 'string' },
  'append-seconds': { type: 'string' },
  since: { type: 'string' },
  window: { type: 'string' },
  mqtt: { type: 'string' },
  'no-promote': { type: 'boolean', default: false },
  save: { type: 'boolean', default: false },
  interval: { type: 'string' },
  schedule: { type: 'string' },
  rebuild: { type: 'boolean' },
  from: { type: 'string' },
  query: { type: 'string' },
  share: { type: 'string' },
  retrain: { type: 'boolean', default: false },
  clear: { type: 'boolean', default: false },
  in: { type: 'string' },
  'client-id': { type: 'string' },
  kind: { type: 'string' },
  source: { type: 'string' },
  webhook: { type: 'string' },
  firing: { type: 'boolean', default: false },
  until: { type: 'string' },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean', default: false },
  'token-service': { type: 'string' },
  'token-stdin': { type: 'boolean', default: false },
  remote: { type: 'string' },
  remove: { type: 'boolean', default: false },
  replica: { type: 'boolean', default: false },
  push: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export type Flags = { [K in keyof typeof options]?: (typeof options)[K]['type'] extends 'boolean' ? boolean : string };

/** An open store: the engine, its handlers and an in-process client (the local admin) over them. */
export interface Session {
  engine: Engine;
  handlers: Handlers;
  client: Client;
}

/** What a command is given: its positional arguments (after the command's name), the flags and where to write. */
export interface Context {
  rest: string[];
  flags: Flags;
  out: Output;
  /** Opens the store (once per run); it is closed when the command returns unless keepOpen() was called. */
  open: () => Session;
  /** The command has handed the store to something that outlives it (a server, a watcher, a schedule). */
  keepOpen: () => void;
  /** Every command, for the ones that describe the CLI itself (completion scripts, the man page). */
  commands: readonly Command[];
}

/** One `hearth <name>` command: its usage text lives beside its code, and the help and docs/cli.md come from it. */
export interface Command {
  name: string;
  /** One line for the manual's table of commands. */
  summary: string;
  /** Its block of `hearth --help`, as printed there (also what `hearth <name> --help` prints). */
  usage: string;
  /** The exit status: 0 success, 1 a failed check; usage errors are thrown (UsageError, 2). */
  run(context: Context): Promise<number>;
}

export function required(flags: Flags, name: keyof Flags): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** `{key: value}` when the value is there, `{}` otherwise: optional properties under exactOptionalPropertyTypes. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

export function numberFlag(flags: Flags, name: keyof Flags, integer: boolean): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || Number.isNaN(n) || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}`);
  return n;
}
