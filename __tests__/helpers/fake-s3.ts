/**
 * A fake S3 over loopback HTTP: the one copy of this test double. It serves path-style GetObject and
 * PutObject (`<url>/<bucket>/<key>`, what AWS_ENDPOINT_URL_S3 selects) for one versioned bucket, in memory.
 *
 * It checks every request the way S3 does, so a signing or encoding mistake fails here and not in AWS:
 * - Authorization is AWS4-HMAC-SHA256 for <date>/<region>/s3/aws4_request with the expected access key,
 *   signing at least host, x-amz-content-sha256 and x-amz-date (and x-amz-security-token when the fake has one);
 * - x-amz-content-sha256 is the hex SHA-256 of the body received;
 * - the signature is recomputed from the request as received (canonical URI: each path segment decoded and
 *   UriEncoded again, "/" kept, no normalization; the signed headers' values trimmed). This is written
 *   independently of @smithy/signature-v4, which the code under test uses.
 * A request that fails a check gets S3's error (InvalidAccessKeyId, SignatureDoesNotMatch,
 * XAmzContentSHA256Mismatch, AuthorizationHeaderMalformed, InvalidToken) and is listed in `rejections`.
 * The clock is not checked (tests fake Date).
 */
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeS3Options {
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry it as a signed x-amz-security-token. */
  sessionToken?: string;
}

export interface FakeS3Version {
  versionId: string;
  body: Buffer;
  contentType: string;
  lastModifiedMs: number;
}

export interface FakeS3Put {
  key: string;
  body: Buffer;
  contentType: string | undefined;
  versionId: string;
}

export interface FakeS3Request {
  method: string;
  /** The path as received, still encoded. */
  rawPath: string;
  key: string | undefined;
  status: number;
}

/** Answers the next matching requests with an S3 error instead of serving them. */
export interface FakeS3Fault {
  method?: "GET" | "PUT";
  key?: string;
  code: string;
  status: number;
  /** How many requests it answers; default every one. */
  times?: number;
}

export interface FakeS3 {
  /** For AWS_ENDPOINT_URL_S3. */
  url: string;
  /** Successful puts, in order. */
  puts: FakeS3Put[];
  requests: FakeS3Request[];
  /** Requests refused by the signature or payload checks, with why. */
  rejections: string[];
  /** Every version of a key, oldest first. */
  versions(key: string): FakeS3Version[];
  /** The current body of a key. */
  current(key: string): Buffer | undefined;
  /** Writes a version directly (not recorded as a put). */
  seed(key: string, body: Buffer, options?: { contentType?: string; lastModifiedMs?: number }): string;
  fail(fault: FakeS3Fault): void;
  /** Empties the bucket and the records, and drops the faults. */
  reset(): void;
  close(): Promise<void>;
}

const SIGNATURE =
  /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/(\d{8})\/([^/,]+)\/([^/,]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** S3's UriEncode: bytes outside A-Z a-z 0-9 - . _ ~ become %XX with upper-case hex. */
function uriEncode(segment: string): string {
  let out = "";
  for (const byte of Buffer.from(segment, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function errorXml(code: string, message: string, key?: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${key ? `<Key>${key}</Key>` : ""}<RequestId>FAKE</RequestId></Error>`;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

export async function startFakeS3(options: FakeS3Options): Promise<FakeS3> {
  const objects = new Map<string, FakeS3Version[]>();
  const puts: FakeS3Put[] = [];
  const requests: FakeS3Request[] = [];
  const rejections: string[] = [];
  let faults: FakeS3Fault[] = [];
  let nextVersion = 1;

  function store(key: string, body: Buffer, contentType: string, lastModifiedMs: number): string {
    // S3 version ids are opaque strings; these are unique and ordered.
    const versionId = `fakeVersion${String(nextVersion++).padStart(6, "0")}`;
    objects.set(key, [...(objects.get(key) ?? []), { versionId, body, contentType, lastModifiedMs }]);
    return versionId;
  }

  /** Undefined when the request is signed as S3 would accept it; otherwise [status, code, why]. */
  function checkSignature(req: http.IncomingMessage, rawPath: string, body: Buffer): [number, string, string] | undefined {
    const match = SIGNATURE.exec(header(req, "authorization") ?? "");
    if (!match)
      return [
        400,
        "AuthorizationHeaderMalformed",
        `Authorization is not a SigV4 header: ${header(req, "authorization") ?? "(none)"}`,
      ];
    const [, accessKeyId, date, region, service, signedHeaderList, signature] = match as unknown as string[];
    if (accessKeyId !== options.accessKeyId)
      return [403, "InvalidAccessKeyId", `access key ${accessKeyId}, expected ${options.accessKeyId}`];
    if (service !== "s3" || region !== options.region) {
      return [400, "AuthorizationHeaderMalformed", `credential scope ${region}/${service}, expected ${options.region}/s3`];
    }
    const signedHeaders = signedHeaderList!.split(";");
    const required = ["host", "x-amz-content-sha256", "x-amz-date", ...(options.sessionToken ? ["x-amz-security-token"] : [])];
    const unsigned = required.filter((name) => !signedHeaders.includes(name));
    if (unsigned.length > 0) return [403, "AccessDenied", `headers not signed: ${unsigned.join(", ")}`];
    if ([...signedHeaders].sort().join(";") !== signedHeaderList)
      return [403, "SignatureDoesNotMatch", "SignedHeaders not sorted"];
    const amzDate = header(req, "x-amz-date") ?? "";
    if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) {
      return [403, "SignatureDoesNotMatch", `x-amz-date ${amzDate} does not match the credential date ${date}`];
    }
    if (options.sessionToken !== undefined && header(req, "x-amz-security-token") !== options.sessionToken) {
      return [403, "InvalidToken", "x-amz-security-token is not the expected session token"];
    }
    const payloadHash = header(req, "x-amz-content-sha256") ?? "";
    if (payloadHash !== sha256Hex(body)) {
      return [
        400,
        "XAmzContentSHA256Mismatch",
        `x-amz-content-sha256 ${payloadHash || "(none)"} is not the SHA-256 of the ${body.length}-byte body`,
      ];
    }
    const canonicalUri = rawPath
      .split("/")
      .map((segment) => uriEncode(decodeURIComponent(segment)))
      .join("/");
    const canonicalHeaders = signedHeaders
      .map((name) => `${name}:${(header(req, name) ?? "").trim().replace(/\s+/g, " ")}\n`)
      .join("");
    const canonicalRequest = [req.method, canonicalUri, "", canonicalHeaders, signedHeaderList, payloadHash].join("\n");
    const scope = `${date}/${region}/s3/aws4_request`;
    const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
    let key: Buffer = Buffer.from(`AWS4${options.secretAccessKey}`);
    for (const part of [date!, region!, "s3", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
    const expected = createHmac("sha256", key).update(stringToSign).digest("hex");
    if (expected !== signature)
      return [403, "SignatureDoesNotMatch", `signature mismatch; canonical request:\n${canonicalRequest}`];
    return undefined;
  }

  function answer(
    req: http.IncomingMessage,
    body: Buffer,
  ): { status: number; headers: Record<string, string>; body: string | Buffer } {
    const [pathPart, query] = (req.url ?? "/").split("?", 2) as [string, string | undefined];
    const rejected = checkSignature(req, pathPart, body);
    if (rejected) {
      rejections.push(`${req.method} ${pathPart}: ${rejected[1]}: ${rejected[2]}`);
      return { status: rejected[0], headers: {}, body: errorXml(rejected[1], rejected[2]) };
    }
    const [, bucket, ...keyParts] = pathPart.split("/");
    if (bucket !== options.bucket)
      return { status: 404, headers: {}, body: errorXml("NoSuchBucket", "The specified bucket does not exist") };
    const key = keyParts.map((part) => decodeURIComponent(part)).join("/");
    if (key === "" || query)
      return { status: 501, headers: {}, body: errorXml("NotImplemented", "the fake serves GetObject and PutObject only") };
    const fault = faults.find(
      (f) => (f.method === undefined || f.method === req.method) && (f.key === undefined || f.key === key),
    );
    if (fault) {
      if (fault.times !== undefined && --fault.times <= 0) faults = faults.filter((f) => f !== fault);
      return { status: fault.status, headers: {}, body: errorXml(fault.code, `injected ${fault.code}`, key) };
    }
    if (req.method === "GET") {
      const current = objects.get(key)?.at(-1);
      if (!current) return { status: 404, headers: {}, body: errorXml("NoSuchKey", "The specified key does not exist.", key) };
      return {
        status: 200,
        headers: {
          "content-type": current.contentType,
          "last-modified": new Date(current.lastModifiedMs).toUTCString(),
          etag: `"${createHash("md5").update(current.body).digest("hex")}"`,
          "x-amz-version-id": current.versionId,
        },
        body: current.body,
      };
    }
    if (req.method === "PUT") {
      const contentType = header(req, "content-type");
      const versionId = store(key, body, contentType ?? "binary/octet-stream", Date.now());
      puts.push({ key, body, contentType, versionId });
      return {
        status: 200,
        headers: { etag: `"${createHash("md5").update(body).digest("hex")}"`, "x-amz-version-id": versionId },
        body: "",
      };
    }
    return { status: 405, headers: {}, body: errorXml("MethodNotAllowed", `${req.method} is not served by the fake`) };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let result: ReturnType<typeof answer>;
      try {
        result = answer(req, Buffer.concat(chunks));
      } catch (error) {
        result = {
          status: 400,
          headers: {},
          body: errorXml("InvalidURI", `Couldn't parse the specified URI: ${(error as Error).message}`),
        };
      }
      const rawPath = (req.url ?? "/").split("?")[0]!;
      const [, , ...keyParts] = rawPath.split("/");
      let key: string | undefined;
      try {
        key = keyParts.length > 0 ? keyParts.map((part) => decodeURIComponent(part)).join("/") : undefined;
      } catch {
        key = undefined;
      }
      requests.push({ method: req.method ?? "", rawPath, key, status: result.status });
      const isXmlError = result.status >= 300;
      res.writeHead(result.status, { ...(isXmlError ? { "content-type": "application/xml" } : {}), ...result.headers });
      res.end(result.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    puts,
    requests,
    rejections,
    versions: (key) => [...(objects.get(key) ?? [])],
    current: (key) => objects.get(key)?.at(-1)?.body,
    seed: (key, body, seedOptions = {}) =>
      store(key, body, seedOptions.contentType ?? "application/octet-stream", seedOptions.lastModifiedMs ?? Date.now()),
    fail: (fault) => {
      faults.push({ ...fault });
    },
    reset: () => {
      objects.clear();
      puts.length = 0;
      requests.length = 0;
      rejections.length = 0;
      faults = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
