/**
 * Where a CDN's API calls (and its token) may go: the CDN's own https API, or, for the local sandbox only, an
 * override that is refused unless EDGEPLANE_INSECURE_LOOPBACK=1 and it is http://127.0.0.1:PORT or
 * http://localhost:PORT. Same rule as the Akamai host check (core/edgegrid/host-safety.ts).
 */
import { INSECURE_LOOPBACK_ENV } from "../edgegrid/host-safety";
import { CdnConfigError } from "./types";

export const FASTLY_API_URL = "https://api.fastly.com";
export const FASTLY_API_URL_ENV = "EDGEPLANE_FASTLY_API_URL";
/** Cloudflare's API base includes /client/v4; so does EDGEPLANE_CLOUDFLARE_API_URL (http://127.0.0.1:PORT/client/v4). */
export const CLOUDFLARE_API_URL = "https://api.cloudflare.com/client/v4";
export const CLOUDFLARE_API_URL_ENV = "EDGEPLANE_CLOUDFLARE_API_URL";

const LOOPBACK_HOSTNAMES = new Set(["127.0.0.1", "localhost"]);

/**
 * The base URL to send requests to (no trailing slash): `defaultUrl`, or the override in `env[overrideEnv]`, which may
 * carry a base path (Cloudflare's /client/v4) but no query or fragment.
 */
export function resolveApiBaseUrl(
  defaultUrl: string,
  overrideEnv: string,
  env: Record<string, string | undefined> = process.env,
): string {
  const override = env[overrideEnv];
  if (override === undefined || override === "") return defaultUrl;
  // The value is not echoed: a misplaced token could end up in this variable.
  const refuse = (why: string): never => {
    throw new CdnConfigError(
      overrideEnv,
      `${overrideEnv} is not allowed: ${why}; it may only point at the local sandbox, http://127.0.0.1:PORT or ` +
        `http://localhost:PORT, and only with ${INSECURE_LOOPBACK_ENV}=1 (unset it to use ${defaultUrl})`,
    );
  };
  if (env[INSECURE_LOOPBACK_ENV] !== "1") refuse(`${INSECURE_LOOPBACK_ENV} is not 1`);
  let url: URL;
  try {
    url = new URL(override.trim());
  } catch {
    return refuse("not a valid URL");
  }
  if (url.protocol !== "http:") refuse("the scheme must be http");
  if (!LOOPBACK_HOSTNAMES.has(url.hostname)) refuse("the host must be 127.0.0.1 or localhost");
  if (url.port === "") refuse("an explicit port is required");
  if (url.username !== "" || url.password !== "") refuse("user info is not allowed");
  if (url.search !== "" || url.hash !== "" || override.includes("?") || override.includes("#"))
    refuse("a query or fragment is not allowed");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
