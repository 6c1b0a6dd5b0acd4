/**
 * Secrets that ride inside strings: a password in a connection string's userinfo, a token in a query string, a
 * webhook whose path is its key (Slack, Teams and Discord hooks are bearer URLs). What Hearth shows to anyone but an
 * admin, stores in logs, or puts in an error message goes through these, so a viewer never reads one.
 */

/** Schemes whose user name is not a secret on its own (a database login); elsewhere a lone user name may be a token. */
const loginSchemes = new Set(['postgres', 'postgresql', 'mysql', 'mariadb', 'mongodb', 'redis', 'amqp', 'sqlite']);

const urlShape = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)([?#][\s\S]*)?$/i;

/**
 * A URL without its secrets: the password becomes `***` (`postgres://user:***@host/db`), a user name alone becomes
 * `***` unless the scheme is a database's, and the query string and fragment are removed. Parsed by hand rather
 * than with `URL`, which refuses what PostgreSQL accepts (several hosts, an unescaped `@` in a password).
 */
export function redactUrl(url: string): string {
  // A password may hold "/", "?" or "#" unescaped, which would end the authority before its "@": when the user name
  // (up to its first ":") has none of them and an "@" follows, the userinfo runs to the last "@" after "scheme://",
  // whatever the password holds. Hiding too much of an odd URL is the safe way to be wrong.
  const withPassword = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@:\s]*):([\s\S]*)@([^@]*)$/i.exec(url);
  if (withPassword !== null) {
    const [, scheme, user, , rest] = withPassword as unknown as [string, string, string, string, string];
    // What follows the last "@" holds no "@": redacted as a URL without userinfo (query and fragment dropped).
    return redactUrl(`${scheme}://${rest}`).replace(`${scheme}://`, `${scheme}://${user}:***@`);
  }
  const m = urlShape.exec(url);
  if (m === null) return url;
  const [, scheme, authority, path] = m as unknown as [string, string, string, string];
  // The userinfo ends at the last "@" of the authority: a password may hold an unescaped "@".
  const at = authority.lastIndexOf('@');
  let shown = authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    const keepUser = colon >= 0 || loginSchemes.has(scheme.toLowerCase());
    shown = `${keepUser ? user : '***'}${colon >= 0 ? ':***' : ''}@${authority.slice(at + 1)}`;
  }
  return `${scheme}://${shown}${path}`;
}

/**
 * A webhook as a non-admin sees it: where it goes (scheme and host), not the path or query that are its key. Read
 * with the WHATWG parser, the one fetch uses to send it, so a spelling fetch accepts (`https:\\\\host\\key`, tabs,
 * upper case) cannot keep its key past a hand-written split.
 */
export function redactWebhook(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '***';
  }
  return `${parsed.protocol}//${parsed.host}/…`;
}

/** Every URL in free text, with a trailing quote, bracket or comma left where it was. */
const urlInText = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/gi;
/**
 * The userinfo of a URL in text, up to the last "@" before the path or the line's end: a password may hold a space,
 * a quote or a bracket that ends the URL for the scan above (PostgreSQL accepts them unescaped).
 */
const userinfoInText = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#\s@:]*)(:[^\n]*)?@(?=[^@\n]*(?:\n|$))/gi;
/** The keys whose value is a secret, in `key=value`, `key: value` and `"key": "value"` spellings. */
const secretKey = '[a-z_]*(?:password|passwd|pwd|secret|token|api[_-]?key)';
/** `password=…`-style pairs in text (a libpq keyword string, a query string quoted without its URL, a YAML line). */
const secretPair = new RegExp(`\\b(${secretKey})(["']?\\s*[=:]\\s*)("[^"\\n]*"|'[^'\\n]*'|[^\\s&;,'"}]+)`, 'gi');

/** Free text (an error message, a pipeline file, a log line) with every URL's secrets and every `password=` removed. */
export function redactText(text: string): string {
  return text
    .replace(userinfoInText, (_m, scheme: string, user: string, password: string | undefined) =>
      password === undefined
        ? `${scheme}${loginSchemes.has(scheme.slice(0, -3).toLowerCase()) ? user : '***'}@`
        : `${scheme}${user}:***@`,
    )
    .replace(urlInText, (url) => {
      const trail = /[),\]}]+$/.exec(url)?.[0] ?? '';
      return redactUrl(url.slice(0, url.length - trail.length)) + trail;
    })
    .replace(secretPair, (_pair, key: string, between: string) => `${key}${between}***`);
}

/** Whether a mapping key names a secret (`password`, `api_key`, …): its value is hidden whole. */
export function isSecretKey(key: string): boolean {
  return new RegExp(`^(${secretKey})$`, 'i').test(key.trim());
}

/** Whether text holds something redactText would hide. */
export function hasSecrets(text: string): boolean {
  return redactText(text) !== text;
}

/** The parts redactText hides in a text (passwords, lone user names, query strings): what must not show up elsewhere. */
export function secretsIn(text: string): string[] {
  const found: string[] = [];
  for (const [url] of text.matchAll(urlInText)) {
    const m = urlShape.exec(url);
    if (m === null) continue;
    const authority = m[2]!;
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      const colon = userinfo.indexOf(':');
      if (colon >= 0) found.push(userinfo.slice(colon + 1));
      else if (!loginSchemes.has(m[1]!.toLowerCase())) found.push(userinfo);
    }
    if (m[4] !== undefined) found.push(m[4].slice(1));
  }
  for (const [pair] of text.matchAll(secretPair)) found.push(pair.slice(pair.indexOf('=') + 1));
  return found.filter((s) => s !== '');
}
