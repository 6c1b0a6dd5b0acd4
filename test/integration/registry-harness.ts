import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { writeFile } from '../helpers.js';

/** Debian's docker-registry (Distribution 2.8): .ci/run installs it; elsewhere the suite says it is missing. */
export const registryBinary = spawnSync('sh', ['-c', 'command -v docker-registry'], { encoding: 'utf8' }).stdout.trim();
export const registrySkip: string | false =
  registryBinary === '' && process.env.CI !== 'true'
    ? 'docker-registry is not installed (apt-get install docker-registry)'
    : false;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startRegistry(
  dir: string,
  fixedPort?: number,
  htpasswd?: string,
  token?: { realm: string; certFile: string },
): Promise<{ child: ChildProcess; url: string }> {
  mkdirSync(dir, { recursive: true });
  const port = fixedPort ?? (await freePort());
  const auth =
    token !== undefined
      ? `auth:\n  token:\n    realm: ${token.realm}\n    service: hearth-test-registry\n    issuer: hearth-test-issuer\n    rootcertbundle: ${token.certFile}\n`
      : htpasswd === undefined
        ? ''
        : `auth:\n  htpasswd:\n    realm: hearth-test\n    path: ${writeFile(dir, 'htpasswd', htpasswd)}\n`;
  const config = writeFile(
    dir,
    'config.yml',
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/storage\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const child = spawn(registryBinary || 'docker-registry', ['serve', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const status = (await fetch(`${url}/v2/`)).status;
      if (status === 200 || status === 401) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error('docker-registry did not start');
}

export type Fault = 'pass' | 'fail-500' | 'reset' | { delayMs: number };

export interface FaultProxy {
  url: string;
  /** Every request seen, in order: what the fault tests assert on (e.g. where a resumed upload starts). */
  seen: { method: string; path: string; contentRange: string | null; fault: string }[];
  /** Decides each request's fate from its number (1-based), method and path; change it between steps. */
  plan: (n: number, method: string, path: string) => Fault;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a registry that injects faults per request: 500s, connection resets (the socket
 * destroyed before any answer) and slow answers. The Host header passes through, so the registry's upload
 * Locations point back at the proxy.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const seen: FaultProxy['seen'] = [];
  let n = 0;
  const proxy: FaultProxy = {
    url: '',
    seen,
    plan: () => 'pass',
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    // The client went away while its request was held back: there is nothing to forward.
    if (req.socket.destroyed && !req.complete) return;
    const up = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    // A client that dies mid-request (SIGKILL) closes its connection: the registry must see that too, not wait
    // for the rest of a body that will never come.
    req.on('close', () => {
      if (!req.complete) up.destroy();
    });
    req.pipe(up);
  };
  const server = createHttpServer((req, res) => {
    const fault = proxy.plan(++n, req.method ?? 'GET', req.url ?? '/');
    seen.push({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      contentRange: req.headers['content-range'] ?? null,
      fault: typeof fault === 'string' ? fault : `delay ${fault.delayMs}`,
    });
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'fail-500') {
      req.resume();
      req.on('end', () =>
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}'),
      );
      return;
    }
    if (fault === 'pass') forward(req, res);
    else setTimeout(() => forward(req, res), fault.delayMs);
  });
  // Slow answers must not keep the test process alive once it is done with them.
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  proxy.url = `http://127.0.0.1:${address.port}`;
  return proxy;
}

/**
 * A token service for docker-registry's bearer flow, as Docker Hub, GHCR or Harbor run one: it checks a user and
 * password (Basic) and answers a JWT signed with a key whose self-signed certificate the registry trusts
 * (`rootcertbundle`; the certificate travels in the token's x5c header). Grants what the scope asks for.
 */
export async function startTokenService(
  dir: string,
  user: { name: string; password: string },
): Promise<{ realm: string; certFile: string; issued: string[]; close(): Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const keyFile = `${dir}/token.key`;
  const certFile = `${dir}/token.crt`;
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=hearth-test-token',
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  const key = createPrivateKey(readFileSync(keyFile));
  const der = new X509Certificate(readFileSync(certFile)).raw.toString('base64');
  const issued: string[] = [];
  const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const expected = `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}`;
    if (url.pathname !== '/token' || req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
      return;
    }
    const access = url.searchParams.getAll('scope').map((scope) => {
      const [type, name, actions] = scope.split(':');
      return { type, name, actions: (actions ?? '').split(',').filter((a) => a !== '') };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der] }));
    const claims = b64url(
      JSON.stringify({
        iss: 'hearth-test-issuer',
        sub: user.name,
        aud: url.searchParams.get('service'),
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      }),
    );
    const signature = b64url(sign('sha256', Buffer.from(`${header}.${claims}`), key));
    issued.push(url.searchParams.getAll('scope').join(' '));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${header}.${claims}.${signature}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certFile,
    issued,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
