/**
 * One job fanned out to Akamai + Fastly + Cloudflare + CloudFront, through the deployed handlers (issue 10,
 * items 3 and 8): purge-api fans POST /purge out to the environment's CDN targets (EDGEPLANE_CDNS) and queues one
 * message per batch; purge-worker sends each through its CDN, as Lambda's SQS event source would deliver them.
 * SQS is the simulator in __tests__/helpers, DynamoDB the fake jobs table, Akamai the sandbox's Fast Purge, and
 * the other CDNs their loopback emulators (sandbox/fastly.ts, cloudflare.ts, cloudfront.ts; CloudFront through the
 * real AWS SDK). Only Date is faked, so the emulators still answer over loopback.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ENV } from "../../../core/environment-names";
import { decodeBatchMessage } from "../../../core/jobs/message";
import { PURGE_MAX_ATTEMPTS } from "../../../core/jobs/queue-settings";
import { jobViewSchema, submitAnswerSchema } from "../../../core/jobs/purge-api-contract";
import { ALL_REASON_CODES } from "../../../core/purge/failure-reasons";
import { cloudflarePurgedObjects, startCloudflareEmulator, type CloudflareEmulator } from "../../../sandbox/cloudflare";
import { cloudFrontInvalidatedPaths, startCloudFrontEmulator, type CloudFrontEmulator } from "../../../sandbox/cloudfront";
import { fastlyPurgedObjects, startFastlyEmulator, type FastlyEmulator } from "../../../sandbox/fastly";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import { purgedObjects } from "../../../sandbox/state";
import { FakeJobsTable, NEW_CLIENT, TABLE, captureProcessOutput, secretString } from "../../core/jobs/helpers";
import { SqsSimulator, fakeDateClock } from "../../helpers/sqs-simulator";
import { PURGE_DLQ, PURGE_QUEUE, purgeApiEvent, purgeQueues } from "../../helpers/purge-api-event";

type ApiHandler = typeof import("../../../functions/purge-api/index").handler;
type WorkerHandler = typeof import("../../../functions/purge-worker/index").handler;

const HOST = "www.example.com";
const EDGEGRID_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/prod/edgegrid-AbCdEf";
const FASTLY_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/prod/fastly-token-AbCdEf";
const CLOUDFLARE_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/prod/cloudflare-token-AbCdEf";
const FASTLY_SERVICE = "SVCSANDBOX1";
const FASTLY_TOKEN = "sandbox-fastly-token";
const ZONE = "0123456789abcdef0123456789abcdef";
const CLOUDFLARE_TOKEN = "sandbox-cf-token";
const DISTRIBUTION = "E1SANDBOXDIST";
const AWS_KEY = { accessKeyId: "AKIASANDBOXTEST00001", secretAccessKey: "sandbox/secret+key0123456789abcdefghijklm" };

const POLICY = {
  allowedHostnames: [HOST],
  allowedNetworks: ["staging", "production"],
  defaultAction: "invalidate",
  maxObjectsPerRequest: 50_000,
  maxRequestBytes: 4_000_000,
};
const TARGETS = [
  { cdn: "akamai", hostnames: [HOST] },
  { cdn: "fastly", serviceId: FASTLY_SERVICE, hostnames: [HOST], tokenSecretArn: FASTLY_ARN },
  { cdn: "cloudflare", zoneId: ZONE, plan: "pro", hostnames: [HOST], tokenSecretArn: CLOUDFLARE_ARN },
  { cdn: "cloudfront", distributionId: DISTRIBUTION, hostnames: [HOST], cacheTags: false },
];
const FASTLY_KEY = `fastly:${FASTLY_SERVICE}`;
const CLOUDFLARE_KEY = `cloudflare:${ZONE}`;
const CLOUDFRONT_KEY = `cloudfront:${DISTRIBUTION}`;

const event = (routeKey: string, body: unknown, jobId?: string) =>
  purgeApiEvent(routeKey, { ...(body !== undefined ? { body } : {}), ...(jobId !== undefined ? { jobId } : {}) });

const sorted = (list: readonly string[]) => [...list].sort();

describe("one job fanned out to Akamai + Fastly + Cloudflare + CloudFront: purge-api → SQS → purge-worker", () => {
  const sm = mockClient(SecretsManagerClient);
  let clock: ReturnType<typeof fakeDateClock>;
  let sqs: SqsSimulator;
  let table: FakeJobsTable;
  let sandbox: Sandbox;
  let fastly: FastlyEmulator;
  let cloudflare: CloudflareEmulator;
  let cloudfront: CloudFrontEmulator;
  let api: ApiHandler;
  let worker: WorkerHandler;
  let savedEnv: NodeJS.ProcessEnv;

  const runWorker = (e: SQSEvent): Promise<SQSBatchResponse> => worker(e, { getRemainingTimeInMillis: () => 120_000 });
  const QUEUE = PURGE_QUEUE;
  const DLQ = PURGE_DLQ;
  const simulatedQueues = purgeQueues;

  beforeAll(async () => {
    savedEnv = { ...process.env };
    clock = fakeDateClock();
    fastly = await startFastlyEmulator({
      services: [{ id: FASTLY_SERVICE, hosts: [HOST], purgeRequiresAuth: true }],
      tokens: [{ token: FASTLY_TOKEN, scope: "purge_select", services: [FASTLY_SERVICE] }],
    });
    cloudflare = await startCloudflareEmulator({
      zones: [{ id: ZONE, plan: "pro" }],
      tokens: [{ token: CLOUDFLARE_TOKEN, kind: "user", purgeZones: [ZONE] }],
    });
    cloudfront = await startCloudFrontEmulator({
      distributions: [{ id: DISTRIBUTION }],
      credentials: [{ ...AWS_KEY, accountId: "123456789012", distributionIds: [DISTRIBUTION] }],
      completionMs: 50,
    });
    const names = new SqsSimulator(clock, simulatedQueues());
    names.restore();
    Object.assign(process.env, {
      [ENV.jobsTable]: TABLE,
      [ENV.purgeQueueUrl]: names.urlOf(QUEUE),
      [ENV.purgeDeadLetterQueueUrl]: names.urlOf(DLQ),
      [ENV.edgegridSecretArn]: EDGEGRID_ARN,
      [ENV.environmentName]: "prod",
      [ENV.serviceName]: "purge",
      [ENV.metricsNamespace]: "edgeplane",
      [ENV.purgePolicy]: JSON.stringify(POLICY),
      [ENV.cdns]: JSON.stringify(TARGETS),
      EDGEPLANE_INSECURE_LOOPBACK: "1",
      EDGEPLANE_FASTLY_API_URL: fastly.url,
      EDGEPLANE_CLOUDFLARE_API_URL: `${cloudflare.url}/client/v4`,
      AWS_ENDPOINT_URL_CLOUDFRONT: cloudfront.url,
      AWS_ACCESS_KEY_ID: AWS_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AWS_KEY.secretAccessKey,
      AWS_REGION: "eu-west-1",
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    api = (require("../../../functions/purge-api/index") as { handler: ApiHandler }).handler;
    worker = (require("../../../functions/purge-worker/index") as { handler: WorkerHandler }).handler;
  });
  beforeEach(async () => {
    clock.advance(3 * 3600_000);
    sqs = new SqsSimulator(clock, simulatedQueues());
    table = new FakeJobsTable();
    sandbox = await startSandbox({ clients: [NEW_CLIENT] });
    fastly.setFaults([]);
    cloudflare.setFaults([]);
    cloudfront.setFaults([]);
    sm.reset();
    sm.on(GetSecretValueCommand, { SecretId: EDGEGRID_ARN }).resolves({
      SecretString: secretString(sandbox, NEW_CLIENT),
      VersionId: "v1",
    });
    sm.on(GetSecretValueCommand, { SecretId: FASTLY_ARN }).resolves({ SecretString: FASTLY_TOKEN, VersionId: "v1" });
    sm.on(GetSecretValueCommand, { SecretId: CLOUDFLARE_ARN }).resolves({ SecretString: CLOUDFLARE_TOKEN, VersionId: "v1" });
    captureProcessOutput([]);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    sqs.restore();
    table.restore();
    await sandbox.close();
  });
  afterAll(async () => {
    sm.restore();
    await Promise.all([fastly.close(), cloudflare.close(), cloudfront.close()]);
    jest.useRealTimers();
    process.env = savedEnv;
  });

  async function submit(body: unknown) {
    const answer = await api(event("POST /purge", body));
    expect(answer.statusCode).toBe(202);
    return submitAnswerSchema.parse(JSON.parse(String(answer.body)));
  }

  async function view(jobId: string) {
    const answer = await api(event("GET /purge/{jobId}", undefined, jobId));
    expect(answer.statusCode).toBe(200);
    return jobViewSchema.parse(JSON.parse(String(answer.body)));
  }

  it("Cloudflare failing (500s): Akamai, Fastly and CloudFront finish, Cloudflare's batches are named failed and kept in the DLQ", async () => {
    cloudflare.setFaults([{ pathPrefix: "/client/v4/zones", status: 500, times: 10_000 }]);
    // Fastly also rate-limits a few requests: waits that must not use the retry budget.
    fastly.setFaults([{ pathPrefix: "/purge/", status: 429, retryAfterSeconds: 5, times: 3 }]);
    const urls = Array.from({ length: 100 }, (_, i) => `https://${HOST}/articles/${i}.html`);
    const submitted = await submit({ type: "url", objects: urls, network: "production" });
    expect(submitted.cdns).toEqual([
      { target: "akamai", cdn: "akamai", batches: 1, objects: 100 },
      { target: FASTLY_KEY, cdn: "fastly", batches: 100, objects: 100 },
      { target: CLOUDFLARE_KEY, cdn: "cloudflare", batches: 4, objects: 100 },
      { target: CLOUDFRONT_KEY, cdn: "cloudfront", batches: 1, objects: 100 },
    ]);
    expect(submitted.batches).toBe(106);
    expect(submitted.rejected).toEqual([]);

    const run = await sqs.run(QUEUE, runWorker);
    expect(run.settled).toBe(true);

    // Every URL purged once on each CDN that did not fail.
    expect(sorted(purgedObjects(sandbox.state, { type: "url" }).map(String))).toEqual(sorted(urls));
    expect(sorted(fastlyPurgedObjects(fastly.state, { kind: "url", serviceId: FASTLY_SERVICE }))).toEqual(
      sorted(urls.map((u) => u.slice("https://".length))),
    );
    expect(sorted(cloudFrontInvalidatedPaths(cloudfront.state, DISTRIBUTION))).toEqual(
      sorted(urls.map((u) => u.slice(`https://${HOST}`.length))),
    );
    expect(cloudflarePurgedObjects(cloudflare.state, { zoneId: ZONE })).toEqual([]);

    const job = await view(submitted.jobId);
    expect(job.status).toBe("partially_failed");
    const perTarget = Object.fromEntries((job.cdns ?? []).map((t) => [t.target, t]));
    expect(perTarget.akamai).toMatchObject({ cdn: "akamai", batches: 1, done: 1, failed: 0, objectsDone: 100 });
    expect(perTarget[FASTLY_KEY]).toMatchObject({ cdn: "fastly", batches: 100, done: 100, failed: 0, objectsDone: 100 });
    expect(perTarget[FASTLY_KEY]?.ids).toHaveLength(100);
    expect(perTarget[CLOUDFRONT_KEY]).toMatchObject({ cdn: "cloudfront", batches: 1, done: 1, objectsDone: 100 });
    expect(perTarget[CLOUDFRONT_KEY]?.ids).toEqual([cloudfront.state.invalidations[0]?.id]);
    expect(perTarget[CLOUDFLARE_KEY]).toMatchObject({
      cdn: "cloudflare",
      batches: 4,
      done: 0,
      failed: 4,
      objectsFailed: 100,
      reasons: ["retriesExhausted"],
    });

    // Each batch says its CDN and id; the failures name their reason with a code of the one set.
    for (const batch of job.batches) {
      expect(batch.target).toBeDefined();
      if (batch.cdn === "cloudflare") {
        expect(batch.status).toBe("failed");
        expect(batch.error).toMatchObject({ reason: "retriesExhausted", status: 500 });
        expect(ALL_REASON_CODES).toContain(batch.error?.reason);
      } else {
        expect(batch.status).toBe("done");
        if (batch.cdn === "akamai") expect(batch.purgeId).toEqual(expect.any(String));
        else expect(batch.cdnId).toEqual(expect.any(String));
      }
    }
    // Real failures used the retry budget: PURGE_MAX_ATTEMPTS tries per Cloudflare batch, then the DLQ.
    expect(cloudflare.state.requests.filter((r) => r.status === 500)).toHaveLength(4 * PURGE_MAX_ATTEMPTS);
    // Nothing lost: the failed batches' messages are in the DLQ with every URL they carry.
    const dead = sqs.messages(DLQ).map((m) => decodeBatchMessage(m.body));
    expect(dead).toHaveLength(4);
    const deadUrls = dead.flatMap((d) =>
      d.ok && "request" in d.message ? d.message.request.objects.map((o) => String(o.value)) : [],
    );
    expect(sorted(deadUrls)).toEqual(sorted(urls));
    // The 429s at Fastly were waits, not attempts: every Fastly batch is done, none counted a failure.
    expect(table.itemsNamed("batch").filter((b) => b.cdn === "fastly" && typeof b.attempts === "number")).toEqual([]);
  });

  it("tags go to every CDN that purges tags; CloudFront without cache tags rejects them, naming itself", async () => {
    const tags = Array.from({ length: 300 }, (_, i) => `article-${i}`);
    const submitted = await submit({ type: "tag", objects: tags, network: "production" });
    expect(submitted.cdns?.map((t) => [t.target, t.batches, t.objects])).toEqual([
      ["akamai", 1, 300],
      [FASTLY_KEY, 2, 300],
      [CLOUDFLARE_KEY, 3, 300],
    ]);
    expect(submitted.rejected).toHaveLength(300);
    expect(submitted.rejected.every((r) => r.target === CLOUDFRONT_KEY && r.code === "tagsNotSupported")).toBe(true);

    const run = await sqs.run(QUEUE, runWorker);
    expect(run.settled).toBe(true);
    expect(sqs.messages(DLQ)).toHaveLength(0);
    expect(sorted(purgedObjects(sandbox.state, { type: "tag" }).map(String))).toEqual(sorted(tags));
    expect(sorted(fastlyPurgedObjects(fastly.state, { kind: "key", serviceId: FASTLY_SERVICE }))).toEqual(sorted(tags));
    expect(sorted(cloudflarePurgedObjects(cloudflare.state, { kind: "tags", zoneId: ZONE }))).toEqual(sorted(tags));
    const job = await view(submitted.jobId);
    expect(job.status).toBe("done");
    expect(job.type).toBe("tag");
    expect((job.cdns ?? []).map((t) => [t.target, t.done, t.failed])).toEqual([
      ["akamai", 1, 0],
      [FASTLY_KEY, 2, 0],
      [CLOUDFLARE_KEY, 3, 0],
    ]);
  });

  it("routes by type and by the cdns field: a Cloudflare host purge, a CloudFront path purge, and unknown targets refused", async () => {
    const hostJob = await submit({ type: "host", objects: [HOST, "other.example.org"] });
    expect(hostJob.cdns).toEqual([{ target: CLOUDFLARE_KEY, cdn: "cloudflare", batches: 1, objects: 1 }]);
    expect(hostJob.rejected).toEqual([expect.objectContaining({ index: 1, code: "noCdnServes" })]);
    const pathJob = await submit({ type: "path", objects: ["/images/*"], cdns: [CLOUDFRONT_KEY] });
    expect(pathJob.cdns).toEqual([{ target: CLOUDFRONT_KEY, cdn: "cloudfront", batches: 1, objects: 1 }]);
    const onlyFastly = await submit({ type: "url", objects: [`https://${HOST}/only-fastly`], cdns: [FASTLY_KEY] });
    expect(onlyFastly.cdns?.map((t) => t.target)).toEqual([FASTLY_KEY]);

    const cpcodes = await api(event("POST /purge", { type: "cpcode", objects: [12345], cdns: [FASTLY_KEY] }));
    expect(cpcodes.statusCode).toBe(400);
    expect(JSON.parse(String(cpcodes.body)).rejected[0]).toMatchObject({
      code: "noCdnServes",
      reason: expect.stringContaining("akamai"),
    });
    const unknown = await api(event("POST /purge", { type: "url", objects: [`https://${HOST}/a`], cdns: ["fastly:NOPE123456"] }));
    expect(unknown.statusCode).toBe(400);
    expect(JSON.parse(String(unknown.body))).toMatchObject({
      field: "cdns",
      allowed: ["akamai", FASTLY_KEY, CLOUDFLARE_KEY, CLOUDFRONT_KEY],
    });

    const run = await sqs.run(QUEUE, runWorker);
    expect(run.settled).toBe(true);
    expect(sqs.messages(DLQ)).toHaveLength(0);
    expect(cloudflarePurgedObjects(cloudflare.state, { kind: "hosts", zoneId: ZONE })).toEqual([HOST]);
    expect(cloudFrontInvalidatedPaths(cloudfront.state, DISTRIBUTION)).toContain("/images/*");
    expect(fastlyPurgedObjects(fastly.state, { kind: "url" })).toContain(`${HOST}/only-fastly`);
    for (const jobId of [hostJob.jobId, pathJob.jobId, onlyFastly.jobId]) expect((await view(jobId)).status).toBe("done");
  });
});
