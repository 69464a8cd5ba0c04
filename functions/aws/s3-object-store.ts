/**
 * ObjectStore on S3's REST API: GetObject and PutObject in one bucket, signed with SigV4, over `fetch`.
 * It replaces @aws-sdk/client-s3: the edgekv-tokens bundle went from 482 to 322 KiB minified (issue 8: ≤ 450 KiB).
 * The bucket's default encryption (SSE-KMS with the secrets key) applies to every put; versioning keeps
 * earlier files.
 *
 * A missing key is NoSuchKey (404): the function's role may list its two prefixes (s3:ListBucket), without
 * which S3 would answer AccessDenied. AccessDenied is therefore a real permission problem and an error.
 * Errors name the bucket, key, S3 error code and HTTP status, never object contents (they hold token values).
 *
 * Facts from the S3 API reference ("Signature Calculations for the Authorization Header", "Virtual hosting
 * of buckets", "Error responses"):
 * - URL: https://<bucket>.s3.<region>.amazonaws.com/<key>; the key is UriEncode'd with "/" kept, and the
 *   canonical request uses that path as is (S3 neither normalizes nor double-encodes it).
 * - x-amz-content-sha256 (hex SHA-256 of the payload) is required on every request and is signed.
 * - Errors are <Error><Code>…</Code><Message>…</Message>…</Error>.
 * AWS_ENDPOINT_URL_S3 (the SDK's own override variable) sends path-style requests to <endpoint>/<bucket>/<key>
 * instead, for tests and the local sandbox.
 */
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { ObjectStore, StoredObject } from "../../core/tokens/object-store";
import { INSECURE_LOOPBACK_ENV } from "../../core/edgegrid/host-safety";

export class ObjectStoreError extends Error {
  override name = "ObjectStoreError";
}

export type S3Credentials = ConstructorParameters<typeof SignatureV4>[0]["credentials"];

export const S3_ENDPOINT_ENV = "AWS_ENDPOINT_URL_S3";
const TIMEOUT_MS = 30_000;
/** Tries per call; 500/503 (InternalError, SlowDown) and network failures are tried again, as the SDK did. */
export const S3_MAX_ATTEMPTS = 3;
const RETRY_BASE_MS = 200;
const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
// DNS-compatible and without dots, so https://<bucket>.s3.<region>.amazonaws.com matches S3's certificate.
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const LOOPBACK_HOSTNAMES = new Set(["127.0.0.1", "localhost"]);

export interface S3ObjectStoreOptions {
  bucket: string;
  /** AWS_REGION. */
  region: string;
  /** A provider (called before each request, so rotated credentials are picked up) or fixed credentials. */
  credentials: S3Credentials;
  /** AWS_ENDPOINT_URL_S3, when set: path-style requests there (https, or http to loopback with EDGEPLANE_INSECURE_LOOPBACK=1). */
  endpoint?: string;
  /** For tests: the pause before another try. */
  sleep?: (ms: number) => Promise<void>;
  env?: Record<string, string | undefined>;
}

/** UriEncode of the S3 signing rules: every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex), "/" kept. */
export function encodeS3Key(key: string): string {
  return key
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join("/");
}

/** The S3 error code of an error response body, e.g. "NoSuchKey", or undefined when there is none. */
export function s3ErrorCode(xml: string): string | undefined {
  return /<Code>([^<]{1,200})<\/Code>/.exec(xml)?.[1];
}

async function sha256Hex(body: Uint8Array): Promise<string> {
  const hash = new Hash("sha256");
  hash.update(body);
  return Buffer.from(await hash.digest()).toString("hex");
}

function endpointBase(endpoint: string, env: Record<string, string | undefined>): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ObjectStoreError(
      `${S3_ENDPOINT_ENV} is not a URL; allowed: https://host[:port] or, with ${INSECURE_LOOPBACK_ENV}=1, http://127.0.0.1:PORT`,
    );
  }
  const loopback = url.protocol === "http:" && LOOPBACK_HOSTNAMES.has(url.hostname) && env[INSECURE_LOOPBACK_ENV] === "1";
  if (url.protocol !== "https:" && !loopback) {
    throw new ObjectStoreError(
      `${S3_ENDPOINT_ENV} must be https://host[:port] (plain http only to 127.0.0.1 or localhost with ${INSECURE_LOOPBACK_ENV}=1); got scheme ${url.protocol}//${url.hostname}`,
    );
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new ObjectStoreError(`${S3_ENDPOINT_ENV} must be scheme://host[:port][/path] without user info, query or fragment`);
  }
  return url;
}

/**
 * Where a bucket's keys are appended: https://<bucket>.s3.<region>.amazonaws.com/ (virtual-hosted style), or
 * <endpoint>/<bucket>/ (path style) when AWS_ENDPOINT_URL_S3 is set.
 */
export function s3BucketUrl(
  bucket: string,
  region: string,
  endpoint: string | undefined,
  env: Record<string, string | undefined> = process.env,
): URL {
  if (endpoint !== undefined && endpoint.trim() !== "") {
    const url = endpointBase(endpoint.trim(), env);
    return new URL(`${url.origin}${url.pathname.replace(/\/+$/, "")}/${bucket}/`);
  }
  const domain = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com"; // the aws-cn partition
  return new URL(`https://${bucket}.s3.${region}.${domain}/`);
}

/** The URL of one object: the key UriEncoded per S3 (see encodeS3Key) under the bucket's URL. */
export function s3ObjectUrl(bucketUrl: URL, key: string): URL {
  return new URL(`${bucketUrl.pathname}${encodeS3Key(key)}`, bucketUrl.origin);
}

interface S3Answer {
  status: number;
  headers: Headers;
  body: Buffer;
}

export class S3ObjectStore implements ObjectStore {
  private readonly signer: SignatureV4;
  private readonly bucket: string;
  /** Origin and path prefix every key is appended to, e.g. "https://b.s3.eu-west-1.amazonaws.com/". */
  private readonly base: URL;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: S3ObjectStoreOptions) {
    const env = options.env ?? process.env;
    if (!BUCKET_NAME.test(options.bucket)) {
      throw new ObjectStoreError(
        `S3 bucket name "${options.bucket}" is not allowed: 3-63 lower-case letters, digits and inner dashes (no dots)`,
      );
    }
    if (!REGION_NAME.test(options.region)) {
      throw new ObjectStoreError(`AWS region "${options.region}" is not a region name like eu-west-1`);
    }
    this.bucket = options.bucket;
    this.base = s3BucketUrl(options.bucket, options.region, options.endpoint, env);
    this.signer = new SignatureV4({
      credentials: options.credentials,
      region: options.region,
      service: "s3",
      sha256: Hash.bind(null, "sha256"),
      uriEscapePath: false,
    });
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const answer = await this.call("GET", key, "read");
    if (answer.status === 200) {
      const lastModifiedMs = Date.parse(answer.headers.get("last-modified") ?? "");
      return { body: answer.body, ...(Number.isFinite(lastModifiedMs) ? { lastModifiedMs } : {}) };
    }
    const code = s3ErrorCode(answer.body.toString("utf8"));
    if (answer.status === 404 && code === "NoSuchKey") return undefined;
    throw this.failure("read", key, `${code ?? "no error code"} (HTTP ${answer.status})`);
  }

  async put(key: string, body: Buffer, contentType: string): Promise<{ versionId?: string }> {
    const answer = await this.call("PUT", key, "write", body, contentType);
    if (answer.status === 200) {
      const versionId = answer.headers.get("x-amz-version-id");
      return versionId ? { versionId } : {};
    }
    const code = s3ErrorCode(answer.body.toString("utf8"));
    throw this.failure("write", key, `${code ?? "no error code"} (HTTP ${answer.status})`);
  }

  private failure(verb: "read" | "write", key: string, why: string): ObjectStoreError {
    return new ObjectStoreError(`cannot ${verb} s3://${this.bucket}/${key}: ${why}`);
  }

  /** One signed request, tried again on 5xx and network failures; any other answer is returned as is. */
  private async call(
    method: "GET" | "PUT",
    key: string,
    verb: "read" | "write",
    body?: Buffer,
    contentType?: string,
  ): Promise<S3Answer> {
    // URLs resolve "." and ".." segments away, so such a key could not be sent as it is.
    if (key === "" || key.startsWith("/") || key.split("/").some((segment) => segment === "." || segment === "..")) {
      throw this.failure(verb, key, 'the key must be non-empty, not start with "/" and have no "." or ".." segment');
    }
    const url = s3ObjectUrl(this.base, key);
    const payload = body ?? Buffer.alloc(0);
    const payloadHash = await sha256Hex(payload);
    for (let attempt = 1; ; attempt++) {
      let headers: Record<string, string>;
      try {
        headers = await this.signedHeaders(method, url, payloadHash, contentType);
      } catch (error) {
        // No credentials (or a provider failure): nothing was sent, and trying again would not help.
        throw this.failure(verb, key, `cannot sign the request: ${error instanceof Error ? error.message : String(error)}`);
      }
      let answer: S3Answer | undefined;
      let networkError: string | undefined;
      try {
        answer = await this.send(method, url, headers, body);
      } catch (error) {
        networkError = networkErrorText(error);
      }
      const retry = answer === undefined || RETRYABLE_STATUS.has(answer.status);
      if (!retry) return answer!;
      if (attempt >= S3_MAX_ATTEMPTS) {
        if (answer !== undefined) return answer;
        throw this.failure(verb, key, `${networkError} (after ${attempt} tries)`);
      }
      await this.sleep(RETRY_BASE_MS * 2 ** (attempt - 1));
    }
  }

  /** SigV4 headers for one try (x-amz-date is the time of the try); Host is signed but left for fetch to send. */
  private async signedHeaders(
    method: "GET" | "PUT",
    url: URL,
    payloadHash: string,
    contentType?: string,
  ): Promise<Record<string, string>> {
    const headers: Record<string, string> = { host: url.host, "x-amz-content-sha256": payloadHash };
    if (contentType !== undefined) headers["content-type"] = contentType;
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers,
    });
    // fetch sets Host from the URL (the value signed here) and Content-Length itself.
    const { host: _host, ...sent } = signed.headers;
    return sent;
  }

  private async send(method: "GET" | "PUT", url: URL, headers: Record<string, string>, body?: Buffer): Promise<S3Answer> {
    const response = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
  }
}

/** What went wrong on the wire, without any request data: e.g. "ECONNREFUSED", "timed out". */
function networkErrorText(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))
    return `timed out after ${TIMEOUT_MS} ms`;
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === "string") return `network error ${cause.code}`;
  return `network error ${error instanceof Error ? error.name : "unknown"}`;
}
