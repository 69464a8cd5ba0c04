/**
 * Where signed requests may go. A credential's host decides where its signatures are sent, so a
 * mistyped or hostile host must not receive them: only https://*.akamaiapis.net is accepted.
 * For the local sandbox, EDGEPLANE_INSECURE_LOOPBACK=1 additionally allows plain http to
 * 127.0.0.1 or localhost with an explicit port, and nothing else.
 */

import { EdgeplaneError } from "../errors";

export const INSECURE_LOOPBACK_ENV = "EDGEPLANE_INSECURE_LOOPBACK";

const AKAMAI_API_SUFFIX = ".akamaiapis.net";
const LOOPBACK_HOSTNAMES = new Set(["127.0.0.1", "localhost"]);
// One DNS label: letters, digits and inner dashes.
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export class EdgeGridHostError extends EdgeplaneError {
  override name = "EdgeGridHostError";

  constructor(message: string) {
    super(message, "credentialHost");
  }
}

export interface EdgeGridEndpoint {
  /** Origin to send requests to, without a trailing slash, e.g. "https://akab-x.luna.akamaiapis.net". */
  baseUrl: string;
  /** "https", or "http" for the loopback sandbox; it goes into the signed data. */
  scheme: "https" | "http";
  /** host[:port] as sent in the Host header. */
  host: string;
}

// The value itself is never echoed: a swapped .edgerc field could put a token or secret here.
function refuse(why: string, loopbackAllowed: boolean): never {
  const allowed = loopbackAllowed
    ? "https://<name>.akamaiapis.net, or http://127.0.0.1:PORT / http://localhost:PORT"
    : `https://<name>.akamaiapis.net (set ${INSECURE_LOOPBACK_ENV}=1 to also allow http://127.0.0.1:PORT for the local sandbox)`;
  throw new EdgeGridHostError(`EdgeGrid credential host is not allowed: ${why}; allowed: ${allowed}`);
}

/**
 * Checks a credential host (with or without scheme; a bare host means https; one trailing "/" is
 * tolerated as `.edgerc` files often have it) and returns where to send requests.
 */
export function resolveEdgeGridEndpoint(host: string, env: Record<string, string | undefined> = process.env): EdgeGridEndpoint {
  const loopbackAllowed = env[INSECURE_LOOPBACK_ENV] === "1";
  const trimmed = host.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    refuse("not a valid host name", loopbackAllowed);
  }
  if (url.username !== "" || url.password !== "") refuse("user info is not allowed", loopbackAllowed);
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    refuse("a path, query or fragment is not allowed", loopbackAllowed);
  }

  if (url.protocol === "https:") {
    const labels = url.hostname.split(".");
    const isAkamai =
      url.hostname.endsWith(AKAMAI_API_SUFFIX) && labels.length >= 3 && labels.every((label) => DNS_LABEL.test(label));
    if (!isAkamai) refuse("the host name is not under akamaiapis.net", loopbackAllowed);
    if (url.port !== "") refuse("a port other than 443 is not allowed", loopbackAllowed);
    return { baseUrl: url.origin, scheme: "https", host: url.host };
  }

  if (url.protocol === "http:" && loopbackAllowed) {
    if (!LOOPBACK_HOSTNAMES.has(url.hostname)) refuse("plain http is only allowed to loopback", loopbackAllowed);
    if (url.port === "") refuse("a loopback host needs an explicit port", loopbackAllowed);
    return { baseUrl: url.origin, scheme: "http", host: url.host };
  }

  return refuse(`scheme ${url.protocol.replace(/:$/, "")} is not allowed`, loopbackAllowed);
}

/** The base URL to send requests to (see resolveEdgeGridEndpoint). */
export function edgeGridBaseUrl(host: string, env: Record<string, string | undefined> = process.env): string {
  return resolveEdgeGridEndpoint(host, env).baseUrl;
}
