/**
 * A stand-in for an environment's purge API on loopback: it checks every request's SigV4 signature with
 * its own implementation of the algorithm (AWS docs, "Create a signed AWS API request"), not the SDK's,
 * and answers in the purge API's contract (core/jobs/purge-api-contract.ts, the types purge-api writes): POST /purge → 202
 * {jobId, batches, objects, rejected, duplicates, status}; GET /purge/{jobId} → the job with its batches.
 * Jobs finish after `pollsUntilDone` reads; objects listed in `failObjects` make their batch fail.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  type BatchView,
  type ErrorAnswer,
  type JobView,
  type NotRecordedAnswer,
  type PurgeApiRequest,
  type SubmitAnswer,
  purgeApiRequestSchema,
} from "../../../core/jobs/purge-api-contract";
import type { PurgeAction, PurgeNetwork, PurgeType } from "../../../core/purge/objects";
import { preparePurge } from "../../../core/purge/prepare";

export const DUMMY_AWS = {
  AWS_ACCESS_KEY_ID: "AKIDEXAMPLEEDGEPLANE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  AWS_SESSION_TOKEN: "dummy-session-token-for-tests",
};

export interface SignatureCheck {
  ok: boolean;
  problem?: string;
  scope?: string;
  signedHeaders?: string[];
}

const sha256Hex = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();

/** RFC 3986 encoding of each path segment, applied to the path as received (SigV4 for non-S3 services). */
function canonicalUri(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join("/");
}

export function verifySigV4(
  req: { method: string; path: string; query: string; headers: http.IncomingHttpHeaders; body: Buffer },
  expected: { accessKeyId: string; secretAccessKey: string; region: string; service: string; sessionToken?: string; now: Date },
): SignatureCheck {
  const authorization = req.headers.authorization;
  if (typeof authorization !== "string") return { ok: false, problem: "no Authorization header" };
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match)
    return { ok: false, problem: "Authorization is not AWS4-HMAC-SHA256 Credential=.../SignedHeaders=.../Signature=..." };
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match as unknown as string[];
  const scope = `${date}/${region}/${service}/aws4_request`;
  if (accessKeyId !== expected.accessKeyId) return { ok: false, problem: "unknown access key id" };
  if (region !== expected.region || service !== expected.service) return { ok: false, problem: `wrong scope ${scope}`, scope };
  const amzDate = req.headers["x-amz-date"];
  if (typeof amzDate !== "string" || !/^\d{8}T\d{6}Z$/.test(amzDate))
    return { ok: false, problem: "x-amz-date missing or malformed" };
  if (amzDate.slice(0, 8) !== date) return { ok: false, problem: "x-amz-date and the credential scope disagree on the date" };
  const signedAt = Date.UTC(
    +amzDate.slice(0, 4),
    +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8),
    +amzDate.slice(9, 11),
    +amzDate.slice(11, 13),
    +amzDate.slice(13, 15),
  );
  if (Math.abs(expected.now.getTime() - signedAt) > 5 * 60_000)
    return { ok: false, problem: "x-amz-date is more than 5 minutes off" };
  const signedHeaders = (signedHeaderList as string).split(";");
  for (const required of ["host", "x-amz-date", ...(expected.sessionToken ? ["x-amz-security-token"] : [])]) {
    if (!signedHeaders.includes(required)) return { ok: false, problem: `${required} is not signed` };
  }
  if (expected.sessionToken !== undefined && req.headers["x-amz-security-token"] !== expected.sessionToken) {
    return { ok: false, problem: "x-amz-security-token is not the session token" };
  }
  const payloadHash = sha256Hex(req.body);
  const claimedHash = req.headers["x-amz-content-sha256"];
  if (typeof claimedHash === "string" && claimedHash !== payloadHash)
    return { ok: false, problem: "x-amz-content-sha256 does not match the body" };

  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(",") : (value ?? "");
      return `${name}:${String(text).trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const canonicalQuery = [...new URLSearchParams(req.query)]
    .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalRequest = [
    req.method,
    canonicalUri(req.path),
    canonicalQuery,
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join("\n");
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${expected.secretAccessKey}`, date as string), region as string), service as string),
    "aws4_request",
  );
  const computed = createHmac("sha256", key).update(stringToSign, "utf8").digest();
  if (!timingSafeEqual(computed, Buffer.from(signature as string, "hex")))
    return { ok: false, problem: "signature does not match", scope, signedHeaders };
  return { ok: true, scope, signedHeaders };
}

export interface FakeJob {
  jobId: string;
  createdAt: string;
  type: PurgeType;
  action: PurgeAction;
  network: PurgeNetwork;
  objects: Array<string | number>;
  batches: Array<{ objects: Array<string | number> }>;
  reads: number;
}

export interface FakePurgeApi {
  url: string;
  region: string;
  jobs: FakeJob[];
  requests: Array<{ method: string; path: string; status: number; signature: SignatureCheck }>;
  /** Every POST /purge body that matched the request schema, as sent. */
  bodies: PurgeApiRequest[];
  /** Objects whose batch ends failed (403 from "Fast Purge"). */
  failObjects: Set<string>;
  pollsUntilDone: number;
  /** POST /purge answers 503 without recording a job (the queue refused), as purge-api does. */
  refuseToQueue: boolean;
  close(): Promise<void>;
}

export async function startFakePurgeApi(options: {
  region: string;
  allowedHostnames: readonly string[];
  stagePath?: string;
}): Promise<FakePurgeApi> {
  const jobs: FakeJob[] = [];
  const requests: FakePurgeApi["requests"] = [];
  const prefix = options.stagePath ?? "";
  const api = {
    jobs,
    requests,
    bodies: [] as PurgeApiRequest[],
    failObjects: new Set<string>(),
    pollsUntilDone: 2,
    refuseToQueue: false,
  } as Omit<FakePurgeApi, "url" | "region" | "close">;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://fake.invalid");
      const method = req.method ?? "GET";
      const answer = (
        status: number,
        json: SubmitAnswer | NotRecordedAnswer | JobView | ErrorAnswer | { message: string },
        signature: SignatureCheck,
      ): void => {
        requests.push({ method, path: url.pathname, status, signature });
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      const signature = verifySigV4(
        { method, path: url.pathname, query: url.search.slice(1), headers: req.headers, body },
        {
          accessKeyId: DUMMY_AWS.AWS_ACCESS_KEY_ID,
          secretAccessKey: DUMMY_AWS.AWS_SECRET_ACCESS_KEY,
          sessionToken: DUMMY_AWS.AWS_SESSION_TOKEN,
          region: options.region,
          service: "execute-api",
          now: new Date(),
        },
      );
      // API Gateway's IAM authorizer answers 403 {"message": ...} for a bad signature.
      if (!signature.ok)
        return answer(403, { message: `The request signature we calculated does not match (${signature.problem})` }, signature);

      const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
      if (method === "POST" && path === "/purge") {
        const parsed = purgeApiRequestSchema.safeParse(JSON.parse(body.toString("utf8")));
        if (!parsed.success)
          return answer(400, { error: "request body does not match the purge API request", field: "(body)" }, signature);
        const request: PurgeApiRequest = parsed.data;
        api.bodies.push(request);
        if (request.type !== "url" && request.type !== "tag" && request.type !== "cpcode") {
          return answer(
            400,
            { error: `type ${request.type} needs a CDN target this fake does not have`, field: "type" },
            signature,
          );
        }
        const type = request.type;
        const action = request.action ?? "invalidate";
        const network = request.network ?? "staging";
        const prepared = preparePurge({
          type,
          action,
          network,
          objects: request.objects,
          allowedHostnames: options.allowedHostnames,
        });
        const rejected = prepared.rejected.map((r) => ({ index: r.index, object: r.object, reason: r.reason }));
        if (api.refuseToQueue) {
          const notRecorded: NotRecordedAnswer = {
            error:
              "could not queue 1 of 1 batch(es), so the job was not recorded and nothing will be purged for it: send the request again",
            batches: prepared.plan.batches.length,
            objects: prepared.accepted.length,
            rejected,
            duplicates: prepared.duplicates,
            notQueued: [0],
          };
          return answer(503, notRecorded, signature);
        }
        const job: FakeJob = {
          jobId: randomUUID(),
          createdAt: new Date().toISOString(),
          type,
          action,
          network,
          objects: prepared.accepted,
          batches: prepared.plan.batches.map((b) => ({ objects: b.objects })),
          reads: 0,
        };
        jobs.push(job);
        const submitted: SubmitAnswer = {
          jobId: job.jobId,
          batches: job.batches.length,
          objects: prepared.accepted.length,
          rejected,
          duplicates: prepared.duplicates,
          status: "queued",
        };
        return answer(202, submitted, signature);
      }
      const get = /^\/purge\/([^/]+)$/.exec(path);
      if (method === "GET" && get) {
        const job = jobs.find((j) => j.jobId === decodeURIComponent(get[1] as string));
        if (!job) return answer(404, { error: `no purge job ${get[1]} (jobs are kept for 7 days)` }, signature);
        job.reads++;
        const finished = job.reads >= api.pollsUntilDone;
        const batches = job.batches.map((b, index): BatchView => {
          if (!finished)
            return {
              index,
              status: index === 0 ? "done" : "queued",
              objects: b.objects.length,
              ...(index === 0 ? { purgeId: `edcp-${job.jobId.slice(0, 8)}-${index}`, estimatedSeconds: 5 } : {}),
            };
          if (b.objects.some((o) => api.failObjects.has(String(o)))) {
            return {
              index,
              status: "failed",
              objects: b.objects.length,
              error: { reason: "rejected", status: 403, detail: "unauthorized arl", supportId: `edsp-${index}` },
            };
          }
          return {
            index,
            status: "done",
            objects: b.objects.length,
            purgeId: `edcp-${job.jobId.slice(0, 8)}-${index}`,
            estimatedSeconds: 5,
          };
        });
        const failed = batches.filter((b) => b.status === "failed").length;
        const status = !finished
          ? "in_progress"
          : failed === 0
            ? "done"
            : failed === batches.length
              ? "failed"
              : "partially_failed";
        const view: JobView = {
          jobId: job.jobId,
          status,
          createdAt: job.createdAt,
          type: job.type,
          action: job.action,
          network: job.network,
          objects: job.objects.length,
          rejected: 0,
          duplicates: 0,
          requestedBy: `arn:aws:sts::123456789012:assumed-role/edgeplane-ci-purge/${DUMMY_AWS.AWS_ACCESS_KEY_ID}`,
          batches,
        };
        return answer(200, view, signature);
      }
      return answer(404, { error: `no route ${method} ${path}` }, signature);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}${prefix}`,
    region: options.region,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  });
}
