/**
 * Reading HTTP answers: headers by case-insensitive name, JSON bodies, Retry-After and the IETF `Ratelimit`
 * header (draft-ietf-httpapi-ratelimit-headers, as Cloudflare sends it since 2025-09-03).
 */

export function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && typeof value === "string") return value.trim();
  }
  return undefined;
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A waited-for time above this is treated as malformed: a purge that waits over an hour is better reported. */
export const MAX_ADVISED_WAIT_MS = 3_600_000;

/**
 * Retry-After as milliseconds: delta-seconds, or an HTTP date relative to `now` (RFC 9110 §10.2.3).
 * Undefined when absent, malformed or over an hour.
 */
export function retryAfterMs(headers: Record<string, string> | undefined, now: number): number | undefined {
  const value = header(headers, "retry-after");
  if (value === undefined) return undefined;
  let ms: number;
  if (/^[0-9]+$/.test(value)) ms = Number(value) * 1000;
  else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    ms = Math.max(0, date - now);
  }
  return ms <= MAX_ADVISED_WAIT_MS ? ms : undefined;
}

/**
 * The `Ratelimit` header: `"default";r=50;t=30` (r = remaining quota units, t = seconds until it resets).
 * Only r and t are read; the first list member that has both wins.
 */
export function readRateLimitHeader(
  headers: Record<string, string> | undefined,
): { remaining: number; resetSeconds: number } | undefined {
  const value = header(headers, "ratelimit");
  if (value === undefined) return undefined;
  for (const member of value.split(",")) {
    const params = new Map<string, string>();
    for (const part of member.split(";").slice(1)) {
      const [key, raw] = part.split("=").map((s) => s.trim());
      if (key !== undefined && raw !== undefined) params.set(key.toLowerCase(), raw);
    }
    const r = params.get("r");
    const t = params.get("t");
    if (r !== undefined && t !== undefined && /^[0-9]+$/.test(r) && /^[0-9]+$/.test(t)) {
      const resetSeconds = Number(t);
      if (resetSeconds * 1000 > MAX_ADVISED_WAIT_MS) return undefined;
      return { remaining: Number(r), resetSeconds };
    }
  }
  return undefined;
}

export function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
