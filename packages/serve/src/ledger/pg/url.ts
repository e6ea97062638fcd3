/**
 * Where a ledger lives: a `postgres://` / `postgresql://` URL names a PostgreSQL
 * ledger, anything else a SQLite file. A URL may carry a password; it is shown and
 * logged only with the password replaced (`redactLocation`), never as given.
 */

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location.trim());
}

/** The location as it may be printed: a URL's password replaced by `***`; a file path unchanged. */
export function redactLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const u = new URL(location);
    if (u.password !== '') u.password = '***';
    // Query parameters such as password=… are redacted too.
    for (const k of [...u.searchParams.keys()]) if (/pass/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    // Not parseable as a URL: print only the scheme, the rest may hold a password.
    return `${location.slice(0, location.indexOf('://') + 3)}…`;
  }
}

/** Every secret in a URL (password in the userinfo or in a query parameter), to scrub from messages. */
export function secretsOf(location: string): string[] {
  if (!isPostgresUrl(location)) return [];
  try {
    const u = new URL(location);
    const out = [u.password, decodeURIComponent(u.password)];
    for (const [k, v] of u.searchParams) if (/pass/i.test(k)) out.push(v);
    return out.filter((s) => s.length > 0);
  } catch {
    return [];
  }
}

/** A message with every secret of `location` replaced by `***` (driver messages may echo parts of the URL). */
export function scrub(message: string, location: string): string {
  let m = message;
  for (const s of secretsOf(location)) m = m.split(s).join('***');
  return m;
}
