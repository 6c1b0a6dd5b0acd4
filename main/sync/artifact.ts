import { HearthError } from '../contracts/errors.js';
import type { MetricSnapshot, ModelVersionInfo } from '../contracts/api.js';
import type { Task } from '../models/preprocess.js';

/**
 * Hearth's artifact type for a model version (an OCI image-spec 1.1 artifact manifest). The config blob is the
 * version's metadata (`configMediaType`); the layers are the ONNX graph, the model card (Markdown) and the
 * evaluation report (JSON), each titled with `org.opencontainers.image.title`.
 */
export const modelArtifactType = 'application/vnd.hearth.model.v1+json';
export const configMediaType = 'application/vnd.hearth.model.config.v1+json';
export const onnxMediaType = 'application/vnd.onnx.model';
export const cardMediaType = 'text/markdown';
export const reportMediaType = 'application/vnd.hearth.evaluation.v1+json';
/** The model as Hearth itself stores it (trees, weights, preprocessing): what serving and TreeSHAP read. */
export const nativeMediaType = 'application/vnd.hearth.model.native.v1+json';
/** A metrics snapshot: an artifact whose `subject` is the version's manifest, with one layer, metrics.json. */
export const metricsArtifactType = 'application/vnd.hearth.metrics.v1+json';
export const metricsMediaType = 'application/vnd.hearth.metrics.snapshot.v1+json';

export const titleAnnotation = 'org.opencontainers.image.title';

export interface OutboxEvent {
  id: number;
  kind: 'model-version' | 'alias' | 'metrics';
  model: string;
  version: number;
  alias: string | null;
  snapshot_id: number | null;
}

/** The version's metadata: the config blob of its manifest, and what a pull registers from. */
export interface ModelConfig {
  model: string;
  version: number;
  task: Task;
  target: string;
  algorithm: string;
  inputSchema: ModelVersionInfo['inputSchema'];
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  dataset: ModelVersionInfo['dataset'];
  lineage: { trainedOn: ModelVersionInfo['dataset']; pulledFrom: ModelVersionInfo['origin'] };
  createdAt: string;
  hearthVersion: string;
}

/** oci://HOST[:PORT]/REPOSITORY:TAG or oci://HOST[:PORT]/REPOSITORY@sha256:HEX */
export function parseArtifactUrl(url: string): { host: string; repository: string; reference: string } {
  const m = /^oci:\/\/([^/]+)\/([^:@]+)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127})|@(sha256:[a-f0-9]{64}))$/.exec(url);
  if (m === null)
    throw new HearthError(
      'VALIDATION_FAILED',
      `pull oci://HOST[:PORT]/REPOSITORY:TAG or oci://HOST[:PORT]/REPOSITORY@sha256:DIGEST, not "${url}"`,
    );
  // Userinfo would be kept as the version's origin, shown to every role and pushed on in its lineage.
  if (m[1]!.includes('@'))
    throw new HearthError(
      'VALIDATION_FAILED',
      'an artifact URL carries no user name or password; add the registry as a remote instead',
    );
  return { host: m[1]!, repository: m[2]!, reference: m[3] ?? m[4]! };
}

/** `oci://HOST[:PORT]/REPOSITORY` → the registry's host, base URL and the repository prefix. */
export function parseRemoteUrl(url: string, insecureHttp: boolean): { host: string; baseUrl: string; repository: string } {
  const m = /^oci:\/\/([^/]+)\/(.+)$/.exec(url);
  if (m === null) throw new HearthError('VALIDATION_FAILED', `a remote is oci://HOST[:PORT]/REPOSITORY, not "${url}"`);
  const repository = m[2]!.replace(/\/+$/, '');
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository))
    throw new HearthError(
      'VALIDATION_FAILED',
      `"${repository}" is not a valid OCI repository name (lower case, digits, . _ - /)`,
    );
  return { host: m[1]!, baseUrl: `${insecureHttp ? 'http' : 'https'}://${m[1]}`, repository };
}

/** Plain HTTP would send models and credentials in clear: it is for loopback registries (tests, a local mirror). */
export function loopbackOnly(baseUrl: string): void {
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(baseUrl))
    throw new HearthError('VALIDATION_FAILED', 'plain HTTP is allowed for loopback registries only; use TLS elsewhere');
}

export function checkRemote(name: string, url: string, insecureHttp: boolean): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
    throw new HearthError('VALIDATION_FAILED', `"${name}" is not a remote name`);
  const { host, baseUrl } = parseRemoteUrl(url, insecureHttp);
  // Userinfo in the URL would be stored and listed in clear; credentials go in their own fields, sealed.
  if (host.includes('@'))
    throw new HearthError(
      'VALIDATION_FAILED',
      "a remote URL carries no user name or password; give them as the remote's credentials instead",
    );
  if (insecureHttp) loopbackOnly(baseUrl);
}

/** A model name as an OCI repository path component. */
export function repositoryComponent(model: string): string {
  return (
    model
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+|[._-]+$/g, '') || 'model'
  );
}

/**
 * Drains the outbox to every remote, in order, exactly once per remote: an event is marked sent only after the
 * registry accepted its manifest, and what is sent is built from stored data only (the version's own timestamps,
 * not the clock), so a re-send after a crash between the two puts the same bytes under the same digest.
/** A short Markdown model card: what the model predicts, from what, how well, and its lineage. */
export function modelCard(info: ModelVersionInfo): string {
  const metrics = Object.entries(info.metrics)
    .map(([k, v]) => `| ${k} | ${v.toFixed(4)} |`)
    .join('\n');
  return `# ${info.model} v${info.version}

${info.algorithm} ${info.task} model predicting **${info.target}**, trained on ${info.dataset.name} v${info.dataset.version}
(content ${info.dataset.contentHash}) on ${info.createdAt}.

## Metrics (${typeof info.report.evaluatedOn === 'string' ? info.report.evaluatedOn : 'test'} rows)

| metric | value |
| --- | --- |
${metrics}

## Inputs

${info.inputSchema.map((i) => `- ${i.name} (${i.type})`).join('\n')}
`;
}

/** The metrics.json of a snapshot artifact: the snapshot without this box's row id. */
export function snapshotDocument(snapshot: MetricSnapshot): Omit<MetricSnapshot, 'id'> {
  const { id: _id, ...document } = snapshot;
  return document;
}
