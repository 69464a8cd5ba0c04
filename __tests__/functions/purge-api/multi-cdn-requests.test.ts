/**
 * POST /purge in environments with and without CDN targets (EDGEPLANE_CDNS), with the real JobStore over the fake
 * jobs table and an in-memory queue: what is queued and recorded per CDN, the tag fallback logged and reported,
 * and Akamai-only environments refusing what only other CDNs purge.
 */
import type { CdnRuntimeTarget } from "../../../config/runtime-schema";
import { decodeBatchMessage, encodeBatchMessage, isCdnBatchMessage, type QueueMessage } from "../../../core/jobs/message";
import type { PurgePolicy } from "../../../core/jobs/policy";
import { jobViewSchema, submitAnswerSchema } from "../../../core/jobs/purge-api-contract";
import { readPurgeJob, submitPurge, type PurgeApiDeps } from "../../../core/jobs/purge-requests";
import { JobStore } from "../../../functions/aws/job-store";
import { FakeJobsTable, TABLE, fakeClock, recordingLogger, recordingMetrics } from "../../core/jobs/helpers";

const POLICY: PurgePolicy = {
  allowedHostnames: ["www.example.com"],
  allowedNetworks: ["staging", "production"],
  defaultAction: "invalidate",
  maxObjectsPerRequest: 2_000,
  maxRequestBytes: 200_000,
};
const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/prod/fastly-AbCdEf";
const TARGETS: CdnRuntimeTarget[] = [
  { cdn: "akamai", hostnames: ["www.example.com"] },
  { cdn: "fastly", serviceId: "SVC1234567", hostnames: ["www.example.com"], tokenSecretArn: ARN },
  {
    cdn: "cloudfront",
    distributionId: "E1SANDBOXDIST",
    hostnames: ["www.example.com"],
    cacheTags: false,
    tagFallback: "purgeAll",
  },
];
const JOB = "00000000-0000-4000-8000-000000000001";

function world(cdns?: CdnRuntimeTarget[]) {
  const clock = fakeClock();
  const table = new FakeJobsTable();
  const store = new JobStore({ client: table.client(), tableName: TABLE, now: clock.now });
  const logger = recordingLogger();
  const queued: Array<{ message: QueueMessage; delaySeconds: number }> = [];
  const deps: PurgeApiDeps = {
    policy: POLICY,
    jobs: store,
    // Through the wire format, as SQS would carry it.
    queue: {
      send: async (message, delaySeconds = 0) =>
        void queued.push({ message: decoded(encodeBatchMessage(message)), delaySeconds }),
    },
    newJobId: () => JOB,
    logger,
    metrics: recordingMetrics(),
    now: clock.now,
    ...(cdns !== undefined ? { cdns } : {}),
  };
  return { deps, queued, logger, store, table };
}

function decoded(body: string): QueueMessage {
  const result = decodeBatchMessage(body);
  if (!result.ok) throw new Error(result.problem);
  return result.message;
}

const submit = (deps: PurgeApiDeps, body: unknown) =>
  submitPurge({ body: JSON.stringify(body), requestedBy: "arn:aws:sts::1:assumed-role/ci/x" }, deps);

it("tags fan out; CloudFront's purge-everything fallback is logged, recorded and shown on the batch", async () => {
  const w = world(TARGETS);
  const answer = await submit(w.deps, { type: "tag", objects: ["news", "sport"], network: "production", wait: true });
  expect(answer.statusCode).toBe(202);
  const body = submitAnswerSchema.parse(answer.body);
  expect(body).toMatchObject({
    jobId: JOB,
    batches: 3,
    objects: 6,
    status: "queued",
    inline: expect.stringContaining("several CDN targets"),
  });
  expect(body.cdns).toEqual([
    { target: "akamai", cdn: "akamai", batches: 1, objects: 2 },
    { target: "fastly:SVC1234567", cdn: "fastly", batches: 1, objects: 2 },
    { target: "cloudfront:E1SANDBOXDIST", cdn: "cloudfront", batches: 1, objects: 2 },
  ]);
  // Akamai's message is today's message; the others carry their planned request.
  expect(
    w.queued.map(({ message }) =>
      isCdnBatchMessage(message) ? [message.batchIndex, message.target] : [message.batchIndex, message.type],
    ),
  ).toEqual([
    [0, "tag"],
    [1, "fastly:SVC1234567"],
    [2, "cloudfront:E1SANDBOXDIST"],
  ]);
  expect(w.logger.text()).toContain("tags will be purged as a purge of everything");

  const view = jobViewSchema.parse((await readPurgeJob(JOB, w.deps)).body);
  expect(view.batches.map((b) => [b.index, b.cdn, b.target, b.status, b.substitution])).toEqual([
    [0, "akamai", "akamai", "queued", undefined],
    [1, "fastly", "fastly:SVC1234567", "queued", undefined],
    [2, "cloudfront", "cloudfront:E1SANDBOXDIST", "queued", "purgeAllInsteadOfTags"],
  ]);
  expect(view.cdns?.map((t) => [t.target, t.batches, t.pending])).toEqual([
    ["akamai", 1, 1],
    ["fastly:SVC1234567", 1, 1],
    ["cloudfront:E1SANDBOXDIST", 1, 1],
  ]);
});

it("nothing is recorded when one CDN's batch cannot be queued", async () => {
  const w = world(TARGETS);
  let sends = 0;
  w.deps.queue = {
    send: async () => {
      if (++sends === 2) throw new Error("SQS down");
    },
  };
  const answer = await submit(w.deps, { type: "url", objects: ["https://www.example.com/a"] });
  expect(answer.statusCode).toBe(503);
  expect(answer.body).toMatchObject({ notQueued: expect.arrayContaining([1]) });
  expect(await w.store.getJob(JOB)).toBeUndefined();
});

it("no valid object on any CDN: 400 listing each target's reason", async () => {
  const w = world(TARGETS.filter((t) => t.cdn !== "akamai"));
  const answer = await submit(w.deps, { type: "url", objects: ["https://elsewhere.example.org/a"] });
  expect(answer.statusCode).toBe(400);
  expect(answer.body).toMatchObject({ field: "objects", rejected: [expect.objectContaining({ index: 0, code: "noCdnServes" })] });
  expect(w.queued).toEqual([]);
});

describe("an environment without EDGEPLANE_CDNS (Akamai alone)", () => {
  it("refuses the types only other CDNs purge, naming the field", async () => {
    const w = world();
    const answer = await submit(w.deps, { type: "path", objects: ["/a/*"] });
    expect(answer).toMatchObject({
      statusCode: 400,
      body: { field: "type", error: expect.stringContaining("use one of url, cpcode, tag") },
    });
  });

  it('takes cdns: ["akamai"] and refuses any other target', async () => {
    const w = world();
    expect((await submit(w.deps, { type: "url", objects: ["https://www.example.com/a"], cdns: ["akamai"] })).statusCode).toBe(
      202,
    );
    const refused = await submit(w.deps, { type: "url", objects: ["https://www.example.com/a"], cdns: ["fastly:SVC1234567"] });
    expect(refused).toMatchObject({ statusCode: 400, body: { field: "cdns", allowed: ["akamai"] } });
  });

  it("queues and records exactly as before: no cdn fields anywhere", async () => {
    const w = world();
    const answer = await submit(w.deps, { type: "url", objects: ["https://www.example.com/a"] });
    expect(answer.statusCode).toBe(202);
    expect(answer.body).not.toHaveProperty("cdns");
    expect(w.queued.map((q) => Object.keys(q.message).sort())).toEqual([
      ["action", "batchIndex", "jobId", "network", "notBefore", "objects", "type"],
    ]);
    const view = (await readPurgeJob(JOB, w.deps)).body;
    expect(view).not.toHaveProperty("cdns");
    expect(JSON.stringify(view)).not.toContain('"cdn"');
  });
});
