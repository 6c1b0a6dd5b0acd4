import { createHash } from 'node:crypto';
import { HearthError } from '../contracts/errors.js';

/**
 * A client for the OCI distribution API (v1.1): what the sync agent needs to push and pull artifacts to any
 * registry (Distribution, Harbor, Zot, GHCR, ECR, ACR). Authentication answers the registry's challenge: Basic,
 * or the bearer-token flow (`WWW-Authenticate: Bearer realm=…,service=…,scope=…`). Blob uploads are chunked and
 * resumable: an interrupted upload asks the registry for its offset and goes on from there.
 */
export interface RegistryTarget {
  /** Base URL, e.g. https://registry.example.org or http://127.0.0.1:5000 (plain HTTP only when asked for). */
  baseUrl: string;
  repository: string;
  credentials?: { username: string; password: string } | { token: string };
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: 'application/vnd.oci.image.manifest.v1+json';
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export const manifestMediaType = 'application/vnd.oci.image.manifest.v1+json';

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Parses a WWW-Authenticate challenge: its scheme and its quoted parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

function basicAuthorization(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export class OciClient {
  private authorization: string | null = null;

  constructor(
    private readonly target: RegistryTarget,
    private readonly options: { chunkSize?: number; fetch?: typeof fetch } = {},
  ) {}

  private get repositoryUrl(): string {
    return `${this.target.baseUrl.replace(/\/$/, '')}/v2/${this.target.repository}`;
  }

  /** One request, answering an authentication challenge once. */
  private async request(url: string, init: RequestInit = {}, retry = true): Promise<Response> {
    const doFetch = this.options.fetch ?? fetch;
    const headers = new Headers(init.headers);
    if (this.authorization !== null) headers.set('authorization', this.authorization);
    let response: Response;
    try {
      response = await doFetch(url, { ...init, headers, redirect: 'follow' });
    } catch (error) {
      throw new HearthError('UNAVAILABLE', `registry unreachable: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (response.status === 401 && retry) {
      const challenge = response.headers.get('www-authenticate');
      await response.body?.cancel();
      if (challenge === null)
        throw new HearthError('UNAUTHORIZED', 'the registry refused the request and named no way to sign in');
      await this.answer(parseChallenge(challenge));
      return this.request(url, init, false);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new HearthError('UNAUTHORIZED', `the registry refused the credentials (${response.status})`);
    }
    return response;
  }

  private async answer(challenge: { scheme: string; params: Record<string, string> }): Promise<void> {
    const credentials = this.target.credentials;
    if (challenge.scheme === 'basic') {
      if (credentials === undefined || !('username' in credentials))
        throw new HearthError('UNAUTHORIZED', 'the registry asks for a user name and password');
      this.authorization = basicAuthorization(credentials);
      return;
    }
    if (challenge.scheme === 'bearer') {
      if (credentials !== undefined && 'token' in credentials) {
        this.authorization = `Bearer ${credentials.token}`;
        return;
      }
      const realm = challenge.params.realm;
      if (realm === undefined) throw new HearthError('UNAUTHORIZED', 'the registry sent a bearer challenge without a realm');
      const url = new URL(realm);
      if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
      url.searchParams.set('scope', challenge.params.scope ?? `repository:${this.target.repository}:pull,push`);
      const headers: Record<string, string> = {};
      if (credentials !== undefined && 'username' in credentials) headers.authorization = basicAuthorization(credentials);
      const response = await (this.options.fetch ?? fetch)(url, { headers });
      if (!response.ok) throw new HearthError('UNAUTHORIZED', `the token service refused the credentials (${response.status})`);
      const body = (await response.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (token === undefined) throw new HearthError('UNAUTHORIZED', 'the token service answered without a token');
      this.authorization = `Bearer ${token}`;
      return;
    }
    throw new HearthError('UNAUTHORIZED', `the registry asks for an unsupported sign-in (${challenge.scheme})`);
  }

  private async expect(response: Response, ok: number[], what: string): Promise<Response> {
    if (ok.includes(response.status)) return response;
    const text = await response.text().catch(() => '');
    const code = response.status >= 500 ? 'UNAVAILABLE' : 'INVALID_INPUT';
    throw new HearthError(code, `${what}: the registry answered ${response.status} ${text.slice(0, 300)}`.trim());
  }

  /** Whether the registry already has the blob (HEAD), so uploads can skip it. */
  async hasBlob(digest: string): Promise<boolean> {
    const response = await this.request(`${this.repositoryUrl}/blobs/${digest}`, { method: 'HEAD' });
    if (response.status === 404) return false;
    await this.expect(response, [200], `checking blob ${digest}`);
    return true;
  }

  /** Starts an upload session; returns its absolute URL. */
  async startUpload(): Promise<string> {
    const response = await this.expect(
      await this.request(`${this.repositoryUrl}/blobs/uploads/`, { method: 'POST' }),
      [202],
      'starting an upload',
    );
    return this.location(response);
  }

  private location(response: Response): string {
    const location = response.headers.get('location');
    if (location === null) throw new HearthError('INVALID_INPUT', 'the registry answered an upload without a Location');
    return new URL(location, this.target.baseUrl).toString();
  }

  /** How many bytes of an upload session the registry holds (`Range: 0-<last>`). */
  async uploadOffset(uploadUrl: string): Promise<number> {
    const response = await this.expect(await this.request(uploadUrl, { method: 'GET' }), [204], 'asking for the upload offset');
    const range = response.headers.get('range');
    if (range === null) return 0;
    const m = /^(?:bytes=)?0-(\d+)$/.exec(range.trim());
    return m === null ? 0 : Number(m[1]) + 1;
  }

  /**
   * Uploads a blob in chunks from `offset` of the session at `uploadUrl` (a new session when null), then closes it
   * with its digest. `onChunk` hears each accepted chunk's URL and end, so a caller can persist them and resume after
   * a crash with `uploadBlob(data, savedUrl)`.
   */
  async uploadBlob(
    data: Uint8Array,
    uploadUrl: string | null = null,
    onChunk: (state: { uploadUrl: string; offset: number }) => void = () => {},
  ): Promise<Descriptor & { resumedAt: number }> {
    const digest = sha256Digest(data);
    const descriptor = { mediaType: 'application/octet-stream', digest, size: data.length };
    if (await this.hasBlob(digest)) return { ...descriptor, resumedAt: data.length };
    let url = uploadUrl ?? (await this.startUpload());
    const resumedAt = uploadUrl === null ? 0 : await this.uploadOffset(url);
    const chunkSize = this.options.chunkSize ?? 8 * 1024 * 1024;
    for (let offset = resumedAt; offset < data.length;) {
      const end = Math.min(data.length, offset + chunkSize);
      const response = await this.expect(
        await this.request(url, {
          method: 'PATCH',
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${offset}-${end - 1}`,
            'content-length': String(end - offset),
          },
          body: data.subarray(offset, end),
        }),
        [202],
        `uploading bytes ${offset}-${end - 1}`,
      );
      url = this.location(response);
      offset = end;
      onChunk({ uploadUrl: url, offset });
    }
    const close = new URL(url);
    close.searchParams.set('digest', digest);
    await this.expect(
      await this.request(close.toString(), { method: 'PUT', headers: { 'content-length': '0' } }),
      [201],
      'closing the upload',
    );
    return { ...descriptor, resumedAt };
  }

  /** Puts a manifest under a tag (or its digest); returns the manifest's digest. */
  async putManifest(reference: string, manifest: ImageManifest): Promise<string> {
    const body = Buffer.from(JSON.stringify(manifest));
    const response = await this.expect(
      await this.request(`${this.repositoryUrl}/manifests/${reference}`, {
        method: 'PUT',
        headers: { 'content-type': manifestMediaType },
        body,
      }),
      [201],
      `putting manifest ${reference}`,
    );
    return response.headers.get('docker-content-digest') ?? sha256Digest(body);
  }

  async getManifest(reference: string): Promise<{ manifest: ImageManifest; digest: string } | null> {
    const response = await this.request(`${this.repositoryUrl}/manifests/${reference}`, {
      headers: { accept: manifestMediaType },
    });
    if (response.status === 404) return null;
    await this.expect(response, [200], `getting manifest ${reference}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { manifest: JSON.parse(Buffer.from(bytes).toString('utf8')) as ImageManifest, digest: sha256Digest(bytes) };
  }

  /** Downloads a blob and checks its digest. */
  async getBlob(digest: string): Promise<Uint8Array> {
    const response = await this.expect(
      await this.request(`${this.repositoryUrl}/blobs/${digest}`),
      [200],
      `getting blob ${digest}`,
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (sha256Digest(bytes) !== digest) throw new HearthError('INVALID_INPUT', `blob ${digest} arrived with another digest`);
    return bytes;
  }

  async listTags(): Promise<string[]> {
    const response = await this.request(`${this.repositoryUrl}/tags/list`);
    if (response.status === 404) return [];
    const body = (await (await this.expect(response, [200], 'listing tags')).json()) as { tags: string[] | null };
    return body.tags ?? [];
  }
}
