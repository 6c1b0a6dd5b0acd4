import Database from 'better-sqlite3-multiple-ciphers';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { PredictResult } from '../contracts/api.js';
import type { Client, ServiceDoor } from '../contracts/client.js';
import type { ErrorCode } from '../contracts/errors.js';
import { keyConnection } from '../crypto/store-key.js';
import { HearthError, serializeError } from '../contracts/errors.js';
import type { StreamStats } from '../contracts/system.js';

export interface StreamOptions {
  /** mqtt://HOST:PORT (mqtts:// for TLS) */
  url: string;
  inTopic: string;
  outTopic: string;
  model: string;
  version?: number;
  /** Keeps the broker session (and messages queued while away) across restarts: clean: false under this id. */
  clientId?: string;
  username?: string;
  password?: string;
  /**
   * Window features added to each row before it is predicted: the mean of `field` over the last `seconds`
   * (sliding), or since the current window began (tumbling), as `<field>_mean_<seconds>s`.
   */
  windows?: { field: string; seconds: number; kind: 'tumbling' | 'sliding' }[];
  /** How long to gather messages into one prediction batch. */
  batchMs?: number;
  /** The store key, when the store is encrypted: the inbox is a connection of its own. */
  key?: Buffer | null;
  /** Appends the rows it answered (window features included) to this dataset, as new versions. */
  dataset?: string;
  /** A new version once this many rows wait (1,000 by default) or this many seconds passed (60). */
  appendRows?: number;
  appendSeconds?: number;
}

export type { StreamStats };

type Row = Record<string, string | number | boolean | null>;

interface Pending {
  seq: number;
  id: string;
  row: Row;
}

/**
 * A stream from an MQTT topic through a model to another topic, at least once. mqtt.js acknowledges a QoS 1
 * message as soon as its handler returns, and it handles one incoming packet at a time, so holding the
 * acknowledgement until the answer is out would stall the connection. Instead each message is written to a SQLite
 * inbox in the handler, before the acknowledgement leaves, and deleted only when its answer (or its rejection) has
 * been acknowledged by the broker; after a crash the inbox is replayed. Messages are JSON rows (`{...features}`, or
 * `{"id": …, "row": {...}}`), predicted in batches; answers go to `outTopic` as
 * `{id, predictionId, model, version, prediction}`, rejections to `<outTopic>/rejected` with the reason and its error
 * code. Every call goes through dispatch() as the service identity `stream:<model>:<inTopic>`: the predict schema
 * validates each row, the service role's limits hold, and the appends are audited under that name. mqtt.js
 * reconnects with backoff and re-sends unacknowledged answers; with a persistent session (`clientId`) the broker
 * keeps the subscription and queues messages meanwhile. With `dataset`, answered rows are appended to it.
 */
export class MqttStream {
  readonly stats: StreamStats = {
    received: 0,
    predicted: 0,
    rejected: 0,
    connected: false,
    reconnects: 0,
    lastError: null,
    appended: 0,
    datasetVersion: null,
  };
  private client: MqttClient | null = null;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly windowState = new Map<string, { at: number; value: number }[]>();
  private draining: Promise<void> = Promise.resolve();
  private readonly inbox: Database.Database;
  private readonly name: string;
  private readonly api: Pick<Client, 'call'>;
  private answered: { seq: number; row: Row | null }[] = [];
  private appendTimer: NodeJS.Timeout | null = null;
  private appending: Promise<void> = Promise.resolve();
  private waitingRows = 0;
  private forgetTimer: NodeJS.Timeout | null = null;
  private generation = 0;
  private stopping = false;
  private backoffMs = 250;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    door: ServiceDoor,
    databaseFile: string,
    readonly options: StreamOptions,
  ) {
    this.name = `${options.model}:${options.inTopic}`;
    // The same name keys the inbox, so the audit log's actor says which stream's rows these were.
    this.api = door(`stream:${this.name}`);
    this.inbox = new Database(databaseFile);
    keyConnection(this.inbox, options.key);
    this.inbox.pragma('journal_mode = WAL');
    // A crashed process loses nothing with NORMAL in WAL mode; only a power cut can cost the last moments.
    this.inbox.pragma('synchronous = NORMAL');
    this.inbox.pragma('busy_timeout = 5000');
    if (!/^mqtts?:\/\//.test(options.url))
      throw new HearthError('VALIDATION_FAILED', `a stream's broker is mqtt://HOST:PORT, not "${options.url}"`);
  }

  async start(): Promise<void> {
    if (this.options.dataset !== undefined && this.appendTimer === null) {
      this.appendTimer = setInterval(() => void this.append(), (this.options.appendSeconds ?? 60) * 1000);
      this.appendTimer.unref();
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new HearthError('UNAVAILABLE', `no MQTT broker answered at ${this.options.url}`)),
        10_000,
      );
      this.connectClient(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * One connection. mqtt.js can reconnect by itself, but its offline queue and outgoing store stalled in the
   * broker-restart test; the inbox already holds everything not yet answered, so a fresh client per connection
   * that replays the inbox is both simpler and at least once.
   */
  private connectClient(onFirstConnect?: () => void): void {
    const generation = ++this.generation;
    const client = connect(this.options.url, {
      clientId: this.options.clientId ?? `hearth-${this.options.model}-${process.pid}`,
      clean: this.options.clientId === undefined,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      protocolVersion: 4,
      ...(this.options.username === undefined ? {} : { username: this.options.username }),
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
    } satisfies IClientOptions);
    this.client = client;
    const keep = this.inbox.prepare('INSERT INTO stream_inbox (stream, payload, received_at) VALUES (?, ?, ?)');
    // Synchronous on purpose: the row is in the inbox before mqtt.js sends the acknowledgement.
    client.on('message', (_topic, payload) => {
      const seq = Number(keep.run(this.name, payload, new Date().toISOString()).lastInsertRowid);
      this.receive(seq, payload);
    });
    client.on('connect', () => {
      this.stats.connected = true;
      this.backoffMs = 250;
      client.subscribe(this.options.inTopic, { qos: 1 });
      // Everything taken from the broker but not answered (by a previous run, or on a connection that dropped).
      const done = new Set(this.answered.map((a) => a.seq));
      const left = this.inbox.prepare('SELECT seq, payload FROM stream_inbox WHERE stream = ? ORDER BY seq').all(this.name) as {
        seq: number;
        payload: Buffer;
      }[];
      for (const m of left) if (!done.has(m.seq)) this.receive(m.seq, m.payload);
      onFirstConnect?.();
      onFirstConnect = undefined;
    });
    client.on('error', (error) => (this.stats.lastError = error.message));
    client.on('close', () => {
      if (generation !== this.generation) return;
      this.stats.connected = false;
      // What was gathered on this connection is in the inbox: it is replayed on the next one, not sent twice now.
      this.pending = [];
      if (this.stopping) return;
      client.end(true);
      this.stats.reconnects++;
      this.reconnectTimer = setTimeout(() => this.connectClient(), this.backoffMs);
      this.backoffMs = Math.min(5000, this.backoffMs * 2);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    await this.client?.endAsync();
    this.client = null;
    this.forget();
    if (this.appendTimer !== null) clearInterval(this.appendTimer);
    await this.append();
    this.inbox.close();
  }

  /** Messages received but not yet answered (what a crash now would replay). */
  get backlog(): number {
    return (this.inbox.prepare('SELECT COUNT(*) AS n FROM stream_inbox WHERE stream = ?').get(this.name) as { n: number }).n;
  }

  private receive(seq: number, payload: Buffer): void {
    this.stats.received++;
    const id = `${this.name}#${seq}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      this.reject({ seq, id, row: {} }, 'not JSON', 'VALIDATION_FAILED');
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      this.reject({ seq, id, row: {} }, 'a message is one JSON object (a row, or {"id": …, "row": {…}})', 'VALIDATION_FAILED');
      return;
    }
    const message = parsed as Record<string, unknown>;
    const wrapped = typeof message.row === 'object' && message.row !== null && !Array.isArray(message.row);
    const row = (wrapped ? message.row : message) as Record<string, unknown>;
    const messageId = wrapped && (typeof message.id === 'string' || typeof message.id === 'number') ? String(message.id) : id;
    // The row's values are left to dispatch's predict schema: one place decides what a row is, for every caller.
    this.addWindows(row as Row);
    this.pending.push({ seq, id: messageId, row: row as Row });
    if (this.pending.length >= 512) void this.flush();
    else if (this.timer === null) this.timer = setTimeout(() => void this.flush(), this.options.batchMs ?? 5);
  }

  /**
   * Deletes answered messages from the inbox, in one transaction every 50 ms rather than one per message; with a
   * dataset, the answered rows move to stream_rows in that same transaction.
   */
  private done(seq: number, row: Row | null = null): void {
    this.answered.push({ seq, row: this.options.dataset === undefined ? null : row });
    if (this.forgetTimer === null) {
      this.forgetTimer = setTimeout(() => this.forget(), 50);
      this.forgetTimer.unref();
    }
  }

  private forget(): void {
    if (this.forgetTimer !== null) clearTimeout(this.forgetTimer);
    this.forgetTimer = null;
    const answered = this.answered;
    this.answered = [];
    if (answered.length === 0) return;
    const remove = this.inbox.prepare('DELETE FROM stream_inbox WHERE seq = ?');
    const keep = this.inbox.prepare('INSERT OR IGNORE INTO stream_rows (seq, stream, row_json) VALUES (?, ?, ?)');
    let kept = 0;
    this.inbox
      .transaction(() => {
        for (const { seq, row } of answered) {
          remove.run(seq);
          if (row !== null) kept += keep.run(seq, this.name, JSON.stringify(row)).changes;
        }
      })
      .immediate();
    this.waitingRows += kept;
    if (this.waitingRows >= (this.options.appendRows ?? 1000)) void this.append();
  }

  /**
   * Appends the rows waiting in stream_rows as the dataset's next version, then deletes them. One append at a
   * time; a failed one (the store busy, a full disk) keeps the rows for the next attempt.
   */
  private append(): Promise<void> {
    const dataset = this.options.dataset;
    if (dataset === undefined) return Promise.resolve();
    this.appending = this.appending.then(async () => {
      const rows = this.inbox
        .prepare('SELECT seq, row_json FROM stream_rows WHERE stream = ? ORDER BY seq LIMIT 100000')
        .all(this.name) as { seq: number; row_json: string }[];
      if (rows.length === 0) return;
      try {
        const result = await this.api.call('datasets.append', {
          name: dataset,
          rows: rows.map((r) => JSON.parse(r.row_json) as Row),
          source: `${this.options.url}/${this.options.inTopic}`,
        });
        this.inbox.prepare('DELETE FROM stream_rows WHERE stream = ? AND seq <= ?').run(this.name, rows.at(-1)!.seq);
        this.waitingRows = Math.max(0, this.waitingRows - rows.length);
        this.stats.appended += result.appended;
        this.stats.datasetVersion = result.version;
      } catch (error) {
        this.stats.lastError = `append to ${dataset}: ${error instanceof Error ? error.message : String(error)}`;
      }
    });
    return this.appending;
  }

  private addWindows(row: Row): void {
    const now = Date.now();
    for (const w of this.options.windows ?? []) {
      const key = `${w.field}:${w.seconds}:${w.kind}`;
      let values = this.windowState.get(key) ?? [];
      const v = Number(row[w.field]);
      values =
        w.kind === 'sliding'
          ? values.filter((x) => x.at > now - w.seconds * 1000)
          : values.length > 0 && Math.floor(values[0]!.at / (w.seconds * 1000)) !== Math.floor(now / (w.seconds * 1000))
            ? []
            : values;
      if (row[w.field] !== null && row[w.field] !== undefined && Number.isFinite(v)) values.push({ at: now, value: v });
      this.windowState.set(key, values);
      row[`${w.field}_mean_${w.seconds}s`] = values.length === 0 ? null : values.reduce((s, x) => s + x.value, 0) / values.length;
    }
  }

  private reject(item: Pending, reason: string, code: ErrorCode): void {
    this.stats.rejected++;
    this.client?.publish(
      `${this.options.outTopic}/rejected`,
      JSON.stringify({ id: item.id, reason, code }),
      { qos: 1 },
      (error) => {
        if (error === undefined || error === null) this.done(item.seq);
      },
    );
  }

  /** Predicts what has gathered, in one call, and publishes each answer; one bad row does not fail the others. */
  private flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.draining;
    this.draining = this.draining.then(() => this.predict(batch));
    return this.draining;
  }

  private async predict(batch: Pending[]): Promise<void> {
    const generation = this.generation;
    const call = (rows: Pending[]) =>
      this.api.call('models.predict', {
        name: this.options.model,
        rows: rows.map((p) => p.row),
        ...(this.options.version === undefined ? {} : { version: this.options.version }),
      });
    // The message's own id says which message this answers; predictionId is the prediction log's, for late labels
    // (POST /v1/models/{name}/feedback with {id: predictionId, label}).
    const answered = (item: Pending, out: PredictResult, i: number) => {
      const { id: predictionId, ...prediction } = out.predictions[i]!;
      return { item, answer: { id: item.id, predictionId, model: out.model, version: out.version, prediction } };
    };
    let results: ({ item: Pending; answer: Record<string, unknown> } | { item: Pending; error: string; code: ErrorCode })[];
    try {
      const out = await call(batch);
      results = batch.map((item, i) => answered(item, out, i));
    } catch {
      // Some row is bad: predict one by one so only it is rejected.
      results = [];
      for (const item of batch) {
        try {
          results.push(answered(item, await call([item]), 0));
        } catch (e) {
          // The client's ApiError carries dispatch's code; serializeError reads it (anything else is INTERNAL).
          const { code, message } = serializeError(e);
          results.push({ item, error: message, code });
        }
      }
    }
    // The connection dropped meanwhile: these rows wait in the inbox and are replayed on the next one.
    if (generation !== this.generation || this.client?.connected !== true) return;
    for (const r of results) {
      if ('error' in r) {
        this.reject(r.item, r.error, r.code);
        continue;
      }
      this.stats.predicted++;
      this.client?.publish(this.options.outTopic, JSON.stringify(r.answer), { qos: 1 }, (error) => {
        // Out of the inbox only once the broker has the answer; until then a crash replays it.
        if (error === undefined || error === null) this.done(r.item.seq, r.item.row);
      });
    }
  }
}
