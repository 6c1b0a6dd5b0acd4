import { createHash } from 'node:crypto';
import { HearthError } from '../contracts/errors.js';
import { sha256Digest } from '../store/blob-store.js';

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
  credentials?: RegistryCredentials;
}

/**
 * A user and password (Basic, or traded for a token at the registry's token service), or a token. `tokenService` is
 * the one token service other than the registry's own origin that may receive the user and password (Docker Hub's
 * registry-1.docker.io sends clients to auth.docker.io); without it, only the registry's own origin does.
 */
export type RegistryCredentials = { username: string; password: string; tokenService?: string } | { token: string };

/** Loopback hosts: where plain HTTP crosses no network (tests, a local mirror). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
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

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: 'application/vnd.oci.image.index.v1+json';
  manifests: Descriptor[];
}

export const manifestMediaType = 'application/vnd.oci.image.manifest.v1+json';
export const indexMediaType = 'application/vnd.oci.image.index.v1+json';
/** The image spec's empty JSON blob (`{}`), the config of an artifact that needs none. */
export const emptyConfig = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: Buffer.from('{}'),
};

/** The distribution spec's referrers tag schema: `<alg>-<hex>` of the subject, for registries without the API. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-').slice(0, 128);
}

// The blob store's own digest: a registry names blobs exactly as the store does.
export { sha256Digest };

/** Parses a WWW-Authenticate challenge: its scheme and its quoted parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

/**
 * A manifest's JSON. A server that is not a registry (a web page at that address) answers something else: that is a
 * coded INVALID_INPUT, not an unexpected INTERNAL error.
 */
function manifestJson(bytes: Buffer, reference: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HearthError('INVALID_INPUT', `manifest ${reference} is not JSON: the server does not answer as an OCI registry`);
  }
}

/** A URL's origin, or null when it is not a URL (then nothing matches it). */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function basicAuthorization(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export class OciClient {
  private authorization: string | null = null;

  constructor(
    private readonly target: RegistryTarget,
    private readonly options: { chunkSize?: number; fetch?: typeof fetch; timeoutMs?: number } = {},
  ) {}

  get repository(): string {
    return this.target.repository;
  }

  private get repositoryUrl(): string {
    return `${this.target.baseUrl.replace(/\/$/, '')}/v2/${this.target.repository}`;
  }

  /** One request, answering an authentication challenge once. */
  private async request(url: string, init: RequestInit = {}, retry = true): Promise<Response> {
    const doFetch = this.options.fetch ?? fetch;
    const headers = new Headers(init.headers);
    if (this.authorization !== null) headers.set('authorization', this.authorization);
    let response: Response;
    // A registry that stops answering must not hold the outbox forever: each request must be answered (its headers,
    // after its body was sent) within a deadline, after which the attempt fails like any outage and is retried with
    // backoff; every step is idempotent, so that is safe. A download's body may then take as long as it needs.
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('deadline')), timeoutMs);
    try {
      response = await doFetch(url, { ...init, headers, redirect: 'follow', signal: controller.signal });
    } catch (error) {
      const reason = controller.signal.aborted
        ? `no answer in ${timeoutMs / 1000} s`
        : error instanceof Error
          ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
          : String(error);
      throw new HearthError('UNAVAILABLE', `registry unreachable: ${reason}`);
    } finally {
      clearTimeout(timer);
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
      let url: URL;
      try {
        url = new URL(realm);
      } catch {
        throw new HearthError('UNAUTHORIZED', 'the registry named a token service that is not a URL');
      }
      // The realm is whatever the registry (or whoever answers in its name) says: it may not make Hearth send the
      // user and password to another machine, nor in clear across a network. Plain HTTP is refused outright off
      // loopback (a token fetched in clear could be read or swapped on the way); credentials go only to the
      // registry's own origin, or to the token service the remote's owner named.
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
        throw new HearthError(
          'UNAUTHORIZED',
          `the registry sent its token service as ${url.protocol.replace(':', '')} to ${url.host}: Hearth asks tokens over HTTPS only (plain HTTP on loopback)`,
        );
      const withCredentials = credentials !== undefined && 'username' in credentials ? credentials : undefined;
      const trusted =
        withCredentials !== undefined &&
        (url.origin === new URL(this.target.baseUrl).origin ||
          (withCredentials.tokenService !== undefined && url.origin === originOf(withCredentials.tokenService)));
      if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
      url.searchParams.set('scope', challenge.params.scope ?? `repository:${this.target.repository}:pull,push`);
      const headers: Record<string, string> = {};
      // An untrusted token service is asked anonymously: a public repository's pull still works.
      if (trusted) headers.authorization = basicAuthorization(withCredentials);
      // A token service that redirects is not followed: the redirect could carry the credentials elsewhere.
      const response = await (this.options.fetch ?? fetch)(url, { headers, redirect: 'manual' });
      if (!response.ok) {
        await response.body?.cancel();
        throw new HearthError(
          'UNAUTHORIZED',
          withCredentials !== undefined && !trusted
            ? `the token service ${url.origin} is not the registry's own, so Hearth sent it no credentials, and it refused an anonymous request (${response.status}); name it as the remote's tokenService to trust it`
            : `the token service refused the credentials (${response.status})`,
        );
      }
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
    let resumedAt = 0;
    if (uploadUrl !== null) {
      // A session the registry no longer knows (it restarted, or purged it) starts over rather than failing.
      const offset = await this.uploadOffset(url).catch((e: unknown) => {
        if (e instanceof HearthError && e.code === 'UNAVAILABLE') throw e;
        return null;
      });
      if (offset === null || offset > data.length) url = await this.startUpload();
      else resumedAt = offset;
    }
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

  /**
   * Puts a manifest (or an index) under a tag or its own digest. Returns its digest, computed here over the bytes
   * sent, and whether the registry took note of a `subject` (the `OCI-Subject` header of a registry with the
   * referrers API).
   */
  async putManifest(reference: string, manifest: ImageManifest | ImageIndex): Promise<string> {
    return (await this.putManifestBytes(reference, manifest)).digest;
  }

  private async putManifestBytes(
    reference: string,
    manifest: ImageManifest | ImageIndex,
  ): Promise<{ digest: string; size: number; subjectNoted: boolean }> {
    const body = Buffer.from(JSON.stringify(manifest));
    const digest = sha256Digest(body);
    const response = await this.expect(
      await this.request(`${this.repositoryUrl}/manifests/${reference}`, {
        method: 'PUT',
        headers: { 'content-type': manifest.mediaType },
        body,
      }),
      [201],
      `putting manifest ${reference}`,
    );
    const echoed = response.headers.get('docker-content-digest');
    if (echoed !== null && echoed !== digest)
      throw new HearthError('INVALID_INPUT', `the registry stored manifest ${reference} as ${echoed}, not ${digest}`);
    return { digest, size: body.length, subjectNoted: response.headers.get('oci-subject') !== null };
  }

  /**
   * Pushes an artifact whose `subject` is another manifest, by digest. On a registry without the referrers API
   * it also adds the artifact to the subject's referrers index under the fallback tag (`sha256-<hex>`), the way
   * the distribution spec lays out; adding is idempotent, so a re-send after a crash leaves one entry.
   */
  async putReferrer(manifest: ImageManifest & { subject: Descriptor }): Promise<string> {
    const body = Buffer.from(JSON.stringify(manifest));
    const { digest, size, subjectNoted } = await this.putManifestBytes(sha256Digest(body), manifest);
    if (subjectNoted) return digest;
    const tag = referrersTag(manifest.subject.digest);
    const existing = await this.getIndex(tag);
    const manifests = existing?.manifests ?? [];
    if (!manifests.some((d) => d.digest === digest)) {
      manifests.push({
        mediaType: manifestMediaType,
        digest,
        size,
        ...(manifest.artifactType === undefined ? {} : { artifactType: manifest.artifactType }),
        ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
      });
      await this.putManifest(tag, { schemaVersion: 2, mediaType: indexMediaType, manifests });
    }
    return digest;
  }

  /** The artifacts that name `digest` as their subject: the referrers API, else the fallback tag's index. */
  async referrers(digest: string, artifactType?: string): Promise<Descriptor[]> {
    const url = new URL(`${this.repositoryUrl}/referrers/${digest}`);
    if (artifactType !== undefined) url.searchParams.set('artifactType', artifactType);
    const response = await this.request(url.toString(), { headers: { accept: indexMediaType } });
    let list: Descriptor[];
    if (response.status === 200 && (response.headers.get('content-type') ?? '').startsWith(indexMediaType)) {
      list = ((await response.json()) as ImageIndex).manifests;
    } else {
      await response.body?.cancel();
      list = (await this.getIndex(referrersTag(digest)))?.manifests ?? [];
    }
    return artifactType === undefined ? list : list.filter((d) => d.artifactType === artifactType);
  }

  private async getIndex(reference: string): Promise<ImageIndex | null> {
    const got = await this.getManifestBytes(reference, indexMediaType);
    return got === null ? null : (manifestJson(got.bytes, reference) as ImageIndex);
  }

  private async getManifestBytes(reference: string, accept: string): Promise<{ bytes: Buffer; digest: string } | null> {
    const response = await this.request(`${this.repositoryUrl}/manifests/${reference}`, { headers: { accept } });
    if (response.status === 404) return null;
    await this.expect(response, [200], `getting manifest ${reference}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = sha256Digest(bytes);
    // A manifest asked for by digest must hash to it: a registry (or a proxy) cannot swap it unnoticed.
    if (reference.startsWith('sha256:') && digest !== reference)
      throw new HearthError('INVALID_INPUT', `manifest ${reference} arrived with digest ${digest}`);
    return { bytes, digest };
  }

  async getManifest(reference: string): Promise<{ manifest: ImageManifest; digest: string; size: number } | null> {
    const got = await this.getManifestBytes(reference, manifestMediaType);
    if (got === null) return null;
    return { manifest: manifestJson(got.bytes, reference) as ImageManifest, digest: got.digest, size: got.bytes.length };
  }

  /** Downloads a blob, hashing it as it streams in, and refuses it unless it matches its digest and size. */
  async getBlob(digest: string, expectedSize?: number): Promise<Buffer> {
    const response = await this.expect(
      await this.request(`${this.repositoryUrl}/blobs/${digest}`),
      [200],
      `getting blob ${digest}`,
    );
    const hash = createHash('sha256');
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body !== null) {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        chunks.push(chunk);
        size += chunk.length;
        if (expectedSize !== undefined && size > expectedSize)
          throw new HearthError('INVALID_INPUT', `blob ${digest} is larger than its descriptor says (${expectedSize} bytes)`);
      }
    }
    if (`sha256:${hash.digest('hex')}` !== digest || (expectedSize !== undefined && size !== expectedSize))
      throw new HearthError('INVALID_INPUT', `blob ${digest} arrived with another digest or size`);
    return Buffer.concat(chunks, size);
  }

  async listTags(): Promise<string[]> {
    const response = await this.request(`${this.repositoryUrl}/tags/list`);
    if (response.status === 404) return [];
    const body = (await (await this.expect(response, [200], 'listing tags')).json()) as { tags: string[] | null };
    return body.tags ?? [];
  }
}
