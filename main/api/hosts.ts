import { hostname, networkInterfaces } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * The host a Host header names, in one canonical spelling (lower case, no trailing dot, an IPv6 address in brackets
 * and compressed form), or null when the header is missing or is not a plain `host[:port]`. Anything else a parser
 * might read as a host (`user@host`, paths, spaces) is refused here rather than interpreted.
 */
export function canonicalHost(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(header);
  if (m === null) return null;
  if (m[3] !== undefined && Number(m[3]) > 65_535) return null;
  if (m[1] !== undefined) return isIPv6(m[1]) ? bracketed(m[1]) : null;
  const name = m[2]!.toLowerCase().replace(/\.$/, '');
  return name === '' ? null : name;
}

/** An IPv6 address as the URL parser writes it: `[::1]` for `0:0:0:0:0:0:0:1`, so spellings compare equal. */
function bracketed(ipv6: string): string {
  return new URL(`http://[${ipv6}]/`).hostname;
}

/** A configured or bound name in the form canonicalHost gives (a bare IPv6 address gains its brackets). */
function canonicalName(name: string): string | null {
  return isIPv6(name) ? bracketed(name) : canonicalHost(name);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || (isIPv4(host) && host.startsWith('127.'));
}

/**
 * Decides whether a Host header names this server, against DNS rebinding: a page on the attacker's name, re-pointed
 * at 127.0.0.1 or at the appliance, stays same-origin with itself, so the browser lets it send us requests and read
 * the answers (a token it guessed or phished works, and so would any unauthenticated route); only the Host header
 * still carries the attacker's name. Accepted: loopback (localhost,
 * 127/8, [::1]), the address the server is bound to, and the names in `allowedHosts`, with any port. Bound to every
 * interface (0.0.0.0 or ::), the server is also reached by the machine's own addresses, read at each check so a
 * DHCP change needs no restart, and by its host name (and `<name>.local` for mDNS): names the operator chose, which an
 * attacker's page cannot take.
 */
export function hostChecker(bound: string, allowedHosts: readonly string[]): (header: string | undefined) => boolean {
  const names = new Set<string>();
  for (const name of allowedHosts) {
    const c = canonicalName(name);
    if (c !== null) names.add(c);
  }
  const wildcard = bound === '0.0.0.0' || bound === '::' || bound === '[::]';
  if (!wildcard) {
    const c = canonicalName(bound);
    if (c !== null) names.add(c);
  } else {
    const own = hostname().toLowerCase();
    names.add(own);
    if (!own.includes('.')) names.add(`${own}.local`);
  }
  const interfaceAddress = (host: string): boolean =>
    Object.values(networkInterfaces()).some((addresses) =>
      (addresses ?? []).some((a) => (a.family === 'IPv6' ? bracketed(a.address.replace(/%.*$/, '')) : a.address) === host),
    );
  // Headers already found to name loopback or a fixed name, as sent: every request of a client repeats its Host, and
  // the parse is a regular expression and a lower-casing. An interface address is not kept (it can change), and the
  // set stops growing at 64 spellings, so varied headers cost memory no more than they cost a parse.
  const known = new Set<string>();
  return (header) => {
    if (header !== undefined && known.has(header)) return true;
    const host = canonicalHost(header);
    if (host === null) return false;
    if (isLoopback(host) || names.has(host)) {
      if (known.size < 64) known.add(header!);
      return true;
    }
    return wildcard && (isIPv4(host) || host.startsWith('[')) && interfaceAddress(host);
  };
}

/**
 * The network an address belongs to, for the sign-in throttle (http-server.ts): an IPv4 address by its /24, an IPv6
 * address by its /64 (the smallest block a site is usually given, so one holder's addresses share it), an IPv4-mapped
 * IPv6 address (`::ffff:a.b.c.d`, how a dual-stack socket reports IPv4 peers) as the IPv4 address it maps. Loopback
 * (127/8, ::1) is one network, "loopback": it is this machine, and whoever may use one of its addresses may use all
 * 16 million, so a /24 there would not slow a local attacker at all. Anything else (not an IP address) is returned
 * as is.
 */
export function networkOf(address: string): string {
  let ip = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped !== null) ip = mapped[1]!;
  if (isIPv4(ip)) return ip.startsWith('127.') ? 'loopback' : `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(ip)) return address;
  const canonical = bracketed(ip).slice(1, -1);
  if (canonical === '::1') return 'loopback';
  // Expanded to eight groups, the first four kept; the URL parser writes the prefix in compressed form.
  const [head = '', tail = ''] = canonical.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = canonical.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${bracketed(`${groups.slice(0, 4).join(':')}::`).slice(1, -1)}/64`;
}
