import { HearthError } from '../contracts/errors.js';
import type { PipelineInput, PipelineRunInfo, PipelineSummary } from '../contracts/pipeline.js';
import { redactText } from '../security/redact.js';
import type { Db } from '../store/database.js';

/** What pipelines ran: the stored pipelines, their file versions and their runs, as every role reads them. */
export class PipelineHistory {
  constructor(private readonly db: Db) {}

  /** The pipeline's id, or undefined when none has that name. */
  pipelineId(name: string): number | undefined {
    return (this.db.prepare('SELECT id FROM pipelines WHERE name = ?').get(name) as { id: number } | undefined)?.id;
  }

  runInfo(id: number): PipelineRunInfo {
    const row = this.db
      .prepare('SELECT r.*, p.name FROM pipeline_runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.id = ?')
      .get(id) as RunRow | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `no pipeline run ${id}`);
    return toRunInfo(row);
  }

  list(): PipelineSummary[] {
    const rows = this.db
      .prepare(
        `SELECT p.id, p.name, p.output_dataset, (SELECT COUNT(*) FROM pipeline_versions v WHERE v.pipeline_id = p.id) AS versions,
                (SELECT MAX(id) FROM pipeline_runs r WHERE r.pipeline_id = p.id) AS last_run
           FROM pipelines p ORDER BY p.name`,
      )
      .all() as { id: number; name: string; output_dataset: string; versions: number; last_run: number | null }[];
    return rows.map((r) => ({
      name: r.name,
      versions: r.versions,
      output: r.output_dataset,
      lastRun: r.last_run === null ? null : this.runInfo(r.last_run),
    }));
  }

  runs(name: string, limit = 100): PipelineRunInfo[] {
    const id = this.pipelineId(name);
    if (id === undefined) throw new HearthError('NOT_FOUND', `no pipeline named "${name}"`);
    const rows = this.db
      .prepare(
        'SELECT r.*, p.name FROM pipeline_runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.pipeline_id = ? ORDER BY r.id DESC LIMIT ?',
      )
      .all(id, limit) as RunRow[];
    return rows.map(toRunInfo);
  }

  /** A stored version of a pipeline's file (the one the latest run ran when none is named). */
  definition(name: string, version?: number): { name: string; version: number; definition: string; createdAt: string } {
    const id = this.pipelineId(name);
    if (id === undefined) throw new HearthError('NOT_FOUND', `no pipeline named "${name}"`);
    // By default the version the latest run ran (a file edited back to an earlier text runs that earlier version).
    const latest = this.db
      .prepare(
        `SELECT COALESCE((SELECT pipeline_version FROM pipeline_runs WHERE pipeline_id = ? ORDER BY id DESC LIMIT 1),
                         (SELECT MAX(version) FROM pipeline_versions WHERE pipeline_id = ?)) AS v`,
      )
      .get(id, id) as { v: number };
    const row = this.db
      .prepare('SELECT * FROM pipeline_versions WHERE pipeline_id = ? AND version = ?')
      .get(id, version ?? latest.v) as { version: number; definition: string; created_at: string } | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `pipeline "${name}" has no version ${version ?? ''}`.trim());
    return { name, version: row.version, definition: row.definition, createdAt: row.created_at };
  }
}

interface RunRow {
  id: number;
  name: string;
  pipeline_version: number;
  status: PipelineRunInfo['status'];
  started_at: string;
  finished_at: string;
  inputs_json: string;
  output_dataset: string;
  output_version: number | null;
  rows_in: number;
  rows_out: number;
  quarantined: number;
  error: string | null;
  mode: PipelineRunInfo['mode'];
}

function toRunInfo(row: RunRow): PipelineRunInfo {
  return {
    id: row.id,
    pipeline: row.name,
    pipelineVersion: row.pipeline_version,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    inputs: JSON.parse(row.inputs_json) as PipelineInput[],
    output: { dataset: row.output_dataset, version: row.output_version },
    rowsIn: row.rows_in,
    rowsOut: row.rows_out,
    quarantined: row.quarantined,
    // Redacted on read too: runs recorded before errors were redacted at write.
    error: row.error === null ? null : redactText(row.error),
    mode: row.mode,
  };
}
