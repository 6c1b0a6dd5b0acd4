/*
 * Which requests need an identity, decided on the path as the router reads it (http-server.ts's guard runs this on
 * every request, before any route).
 */

/** What makes a path need folding: an escape, a backslash, an empty segment, a `.` or `..` segment. */
const unplainPath = /[%\\]|\/\/|\/\.\.?(?:\/|$)/;

/**
 * The path as the router sees it: percent-escapes decoded, runs of slashes folded, dot segments resolved, in lower
 * case. Protection is decided on this, never on the raw URL, so no other spelling of a protected path slips past the
 * guard while the router still finds its route (`/%61pi/…`, `//api/…`, `/x/../api/…`, `/API/…`).
 */
export function normalisedPath(url: string): string {
  const raw = url.split('?')[0] ?? '';
  // Most requests spell their path plainly (no escape, backslash, empty or dot segment): that spelling is already
  // its own normal form but for case and a trailing slash, and is read without the decode-and-fold pass below.
  if (raw.startsWith('/') && !unplainPath.test(raw))
    return (raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw).toLowerCase();
  return foldedPath(raw);
}

/** The decode-and-fold normal form of a path (normalisedPath): any spelling. */
export function foldedPath(raw: string): string {
  let decoded = raw;
  // Decoded until stable, so a double-encoded spelling reads as what a second decoder would see.
  for (let i = 0; i < 4; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      next = decoded.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
    if (next === decoded) break;
    decoded = next;
  }
  const out: string[] = [];
  for (const segment of decoded.replace(/\\/g, '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`.toLowerCase();
}

/** Paths that hold data or act on it: never answered without an identity, whatever route serves them. */
export function isProtected(url: string): boolean {
  const path = normalisedPath(url);
  return (
    path === '/api' ||
    path.startsWith('/api/') ||
    path === '/v1' ||
    path.startsWith('/v1/') ||
    path.startsWith('/openapi.json') ||
    path.startsWith('/metrics')
  );
}

/**
 * Routes served without an identity, by the pattern the router matched (`request.routeOptions.url`): health, the
 * console sign-in and the console's static files. Every other route, and any protected path, needs one (default deny).
 */
export const publicRoutes = new Set(['/healthz', '/readyz', '/api/session', '/*', '/']);
