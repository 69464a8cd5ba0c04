/**
 * POST /purge and GET /purge/{jobId} logic with the real JobStore (over a fake jobs table), the real SQS
 * queue adapter (aws-sdk-client-mock), and, for inline purges, the real sandbox over loopback HTTP.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { JOB_ID_PATTERN } from "../../../core/jobs/message";
import {
  errorAnswerSchema,
  jobViewSchema,
  notRecordedAnswerSchema,
  rejectedAnswerSchema,
  submitAnswerSchema,
} from "../../../core/jobs/purge-api-contract";
import { FAILURE_REASONS } from "../../../core/purge/failure-reasons";
import type { PurgePolicy } from "../../../core/jobs/policy";
import { INLINE_GUARD_SECONDS, readPurgeJob, submitPurge, type PurgeApiDeps } from "../../../core/jobs/purge-requests";
import { sqsBatchQueue } from "../../../functions/aws/sqs-queue";
import { TransportCache } from "../../../core/jobs/send";
import { JOB_TTL_SECONDS } from "../../../core/jobs/records";
import { JobStore } from "../../../functions/aws/job-store";
import { PurgeBuckets } from "../../../core/purge/rate-limit";
import { CredentialCache } from "../../../core/secrets/credential-cache";
import { secretsManagerCredentialLoader } from "../../../functions/aws/secrets-manager-credentials";
import type { Sandbox } from "../../../sandbox/server";
import {
  FakeJobsTable,
  LOOPBACK_ENV,
  NEW_CLIENT,
  QUEUE_URL,
  TABLE,
  fakeClock,
  recordingLogger,
  recordingMetrics,
  secretString,
  startTestSandbox,
  type FakeClock,
} from "../../core/jobs/helpers";

const POLICY: PurgePolicy = {
  allowedHostnames: ["www.example.com", "*.cdn.example.com"],
  allowedNetworks: ["staging"],
  defaultAction: "invalidate",
  maxObjectsPerRequest: 2_000,
  maxRequestBytes: 200_000,
};
const CALLER = "arn:aws:sts::123456789012:assumed-role/edgeplane-ci-purge/GitHubActions";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-AbCdEf";
const urls = (n: number, from = 0, host = "www.example.com"): string[] =>
  Array.from({ length: n }, (_, i) => `https://${host}/p/${from + i}`);

const sqs = mockClient(SQSClient);
const sm = mockClient(SecretsManagerClient);

interface World {
  clock: FakeClock;
  table: FakeJobsTable;
  store: JobStore;
  deps: PurgeApiDeps;
  logger: ReturnType<typeof recordingLogger>;
  metrics: ReturnType<typeof recordingMetrics>;
  sandbox?: Sandbox;
  transports?: TransportCache;
}

let jobCounter = 0;
const nextJobId = (): string => `00000000-0000-4000-8000-${String(++jobCounter).padStart(12, "0")}`;

async function world(options: { policy?: Partial<PurgePolicy>; sandbox?: boolean } = {}): Promise<World> {
  const clock = fakeClock();
  const table = new FakeJobsTable();
  const store = new JobStore({ client: table.client(), tableName: TABLE, now: clock.now });
  const logger = recordingLogger();
  const metrics = recordingMetrics();
  const deps: PurgeApiDeps = {
    policy: { ...POLICY, ...options.policy },
    jobs: store,
    queue: sqsBatchQueue(new SQSClient({ region: "eu-west-1" }), QUEUE_URL),
    newJobId: nextJobId,
    logger,
    metrics,
    now: clock.now,
  };
  const result: World = { clock, table, store, deps, logger, metrics };
  if (options.sandbox) {
    const sandbox = await startTestSandbox(clock);
    const transports = new TransportCache({ timeoutMs: 5_000, env: LOOPBACK_ENV, now: clock.now });
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretString(sandbox, NEW_CLIENT), VersionId: "v1" });
    deps.inline = {
      credentials: new CredentialCache({
        load: secretsManagerCredentialLoader(new SecretsManagerClient({ region: "eu-west-1" }), SECRET_ARN),
        now: clock.now,
      }),
      http: transports,
      buckets: new PurgeBuckets({ now: clock.now }),
      random: () => 0,
      now: clock.now,
      logger,
      metrics,
    };
    result.sandbox = sandbox;
    result.transports = transports;
  }
  return result;
}

const post = (w: World, body: unknown, raw = false) =>
  submitPurge({ body: raw ? (body as string) : JSON.stringify(body), requestedBy: CALLER }, w.deps);

function sentMessages(): Array<Record<string, any>> {
  return sqs.commandCalls(SendMessageCommand).map((call) => {
    expect(call.args[0].input.QueueUrl).toBe(QUEUE_URL);
    return JSON.parse(call.args[0].input.MessageBody as string) as Record<string, any>;
  });
}

describe("POST /purge", () => {
  let w: World;
  beforeEach(() => {
    sqs.reset();
    sm.reset();
    sqs.on(SendMessageCommand).resolves({ MessageId: "m" });
  });
  afterEach(async () => {
    w.table.restore();
    w.transports?.close();
    await w.sandbox?.close();
  });
  afterAll(() => {
    sqs.restore();
    sm.restore();
  });

  describe("refuses bad requests with a clear answer and records nothing", () => {
    beforeEach(async () => {
      w = await world({ policy: { maxRequestBytes: 1_024, maxObjectsPerRequest: 3 } });
    });
    afterEach(() => {
      expect(w.table.items.size).toBe(0);
      expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    });

    it("413 for a body over maxRequestBytes (measured in bytes, base64 decoded)", async () => {
      const big = JSON.stringify({ type: "tag", objects: ["x".repeat(1_100)] });
      expect(await post(w, big, true)).toEqual({
        statusCode: 413,
        body: {
          error: `request body is ${big.length} bytes; this environment accepts at most 1024 bytes per request: split the objects over several requests`,
          limit: 1_024,
        },
      });
      const encoded = Buffer.from(JSON.stringify({ type: "tag", objects: ["é".repeat(520)] })).toString("base64");
      expect((await submitPurge({ body: encoded, isBase64Encoded: true, requestedBy: CALLER }, w.deps)).statusCode).toBe(413);
    });

    it("413 for more objects than maxObjectsPerRequest", async () => {
      expect(await post(w, { type: "tag", objects: ["a", "b", "c", "d"] })).toEqual({
        statusCode: 413,
        body: {
          error:
            "objects has 4 entries; this environment accepts at most 3 objects per request: split them over several requests",
          field: "objects",
          limit: 3,
        },
      });
    });

    it("403 for a network the environment does not allow", async () => {
      expect(await post(w, { type: "tag", objects: ["a"], network: "production" })).toEqual({
        statusCode: 403,
        body: {
          error: "network production is not allowed in this environment; allowed: staging",
          field: "network",
          allowed: ["staging"],
        },
      });
    });

    it.each([
      ["", "(body)", /^request body is empty; expected JSON like /],
      ["{not json", "(body)", /^request body is not valid JSON; expected JSON like /],
      ['["url"]', "(body)", /^request body must be a JSON object like .*; got an array$/],
    ])("400 for body %j", async (raw, field, message) => {
      const result = await post(w, raw, true);
      expect(result.statusCode).toBe(400);
      expect(result.body.field).toBe(field);
      expect(result.body.error).toMatch(message);
    });

    it.each<[string, unknown, string, string]>([
      ["missing type", { objects: ["a"] }, "type", "type is required: use one of url, cpcode, tag"],
      ["bad type", { type: "arl", objects: ["a"] }, "type", 'type is not valid: use one of url, cpcode, tag; got "arl"'],
      ["missing objects", { type: "tag" }, "objects", "objects is required: a non-empty array of URLs, CP codes or cache tags"],
      ["empty objects", { type: "tag", objects: [] }, "objects", "objects is empty: give at least one URL, CP code or cache tag"],
      [
        "objects not an array",
        { type: "tag", objects: "a,b" },
        "objects",
        'objects must be an array of URLs, CP codes or cache tags; got "a,b"',
      ],
      [
        "bad action",
        { type: "tag", objects: ["a"], action: "remove" },
        "action",
        'action must be one of invalidate, delete (default invalidate); got "remove"',
      ],
      [
        "bad network",
        { type: "tag", objects: ["a"], network: "prod" },
        "network",
        'network must be one of staging, production (default staging; allowed here: staging); got "prod"',
      ],
      ["bad wait", { type: "tag", objects: ["a"], wait: "yes" }, "wait", 'wait must be true or false; got "yes"'],
      [
        "unknown field",
        { type: "tag", objects: ["a"], hostname: "x" },
        "hostname",
        'unknown field "hostname"; allowed: type, objects, action, network, wait',
      ],
    ])("400 for %s", async (_name, body, field, error) => {
      expect(await post(w, body)).toEqual({ statusCode: 400, body: { error, field } });
    });

    it("400 naming every bad field when there are several", async () => {
      const result = await post(w, { type: "x", objects: ["a"], extra: 1 });
      expect(result.statusCode).toBe(400);
      expect(result.body.errors).toEqual([
        { field: "type", message: 'type is not valid: use one of url, cpcode, tag; got "x"' },
        { field: "extra", message: 'unknown field "extra"; allowed: type, objects, action, network, wait' },
      ]);
    });

    it("400 with every rejected object and its reason when nothing is valid", async () => {
      const result = await post(w, { type: "url", objects: ["https://evil.example.net/a", "ftp://www.example.com/b", 7] });
      expect(result.statusCode).toBe(400);
      expect(result.body).toEqual({
        error: "no valid objects: 3 objects rejected; see rejected for each reason",
        field: "objects",
        rejected: [
          {
            index: 0,
            object: "https://evil.example.net/a",
            reason: expect.stringContaining(
              'host "evil.example.net" is not allowed in this environment; allowed: www.example.com, *.cdn.example.com',
            ),
          },
          { index: 1, object: "ftp://www.example.com/b", reason: "URL must be absolute and start with http:// or https://" },
          { index: 2, object: 7, reason: "expected a URL string; got number 7" },
        ],
      });
    });
  });

  it("records the job, enqueues one message per batch and answers 202", async () => {
    w = await world();
    const objects = [
      ...urls(3),
      "https://WWW.Example.com/p/0",
      "https://img.cdn.example.com/x.png",
      "https://other.example.org/y",
      "www.example.com/no-scheme",
    ];
    const result = await post(w, { type: "url", objects });

    expect(result.statusCode).toBe(202);
    const jobId = result.body.jobId as string;
    expect(jobId).toMatch(JOB_ID_PATTERN);
    expect(result.body).toEqual({
      jobId,
      status: "queued",
      batches: 1,
      objects: 4,
      duplicates: 1,
      rejected: [
        {
          index: 5,
          object: "https://other.example.org/y",
          reason: expect.stringContaining("is not allowed in this environment"),
        },
        { index: 6, object: "www.example.com/no-scheme", reason: "URL must be absolute and start with http:// or https://" },
      ],
    });
    expect(sentMessages()).toEqual([
      {
        jobId,
        batchIndex: 0,
        type: "url",
        action: "invalidate", // the policy's default
        network: "staging", // the default network
        objects: [...urls(3), "https://img.cdn.example.com/x.png"],
        notBefore: w.clock.now(), // the bucket is taken as full: the first batch may go at once
      },
    ]);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.DelaySeconds).toBeUndefined();
    const expiresAt = w.clock.now() / 1000 + JOB_TTL_SECONDS;
    expect(w.table.item(jobId, "job")).toMatchObject({
      requestedBy: CALLER,
      objects: 4,
      batches: 1,
      rejected: 2,
      duplicates: 1,
      expiresAt,
    });
    expect(w.table.item(jobId, "batch#0")).toMatchObject({ status: "queued", objects: 4, expiresAt });
    expect(w.logger.entries.find((e) => e.message === "purge job queued and recorded")?.details).toMatchObject({
      jobId,
      requestedBy: CALLER,
    });
  });

  it("splits a large request into batches of at most 50,000 bytes, every object in exactly one message", async () => {
    w = await world();
    const objects = urls(1_800, 0, "img.cdn.example.com").map((u) => `${u}?v=${"x".repeat(20)}`);
    const result = await post(w, { type: "url", objects, action: "delete" });
    expect(result.statusCode).toBe(202);
    const messages = sentMessages();
    expect(messages.length).toBe(result.body.batches);
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.map((m) => m.batchIndex).sort((a, b) => a - b)).toEqual(messages.map((_, i) => i));
    for (const m of messages) {
      expect(Buffer.byteLength(JSON.stringify({ objects: m.objects }))).toBeLessThanOrEqual(50_000);
      expect(m.action).toBe("delete");
    }
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => Buffer.byteLength(c.args[0].input.MessageBody as string));
    expect(Math.max(...sent)).toBeLessThan(256 * 1024);
    expect(messages.flatMap((m) => m.objects).sort()).toEqual([...objects].sort());
    const job = await w.store.getJob(result.body.jobId as string);
    expect(job?.batches.map((b) => b.objects)).toEqual(messages.map((m) => m.objects.length));
    expect(job?.status).toBe("queued");
  });

  it("production where the environment allows it", async () => {
    w = await world({ policy: { allowedNetworks: ["staging", "production"], defaultAction: "delete" } });
    const result = await post(w, { type: "cpcode", objects: [12345, "67890"], network: "production" });
    expect(result.statusCode).toBe(202);
    expect(sentMessages()[0]).toMatchObject({ type: "cpcode", action: "delete", network: "production", objects: [12345, 67890] });
  });

  it("queues every batch before it records the job, each delayed towards its planned send time", async () => {
    w = await world({ policy: { maxObjectsPerRequest: 50_000, maxRequestBytes: 4_000_000 } });
    sqs.reset();
    const jobItemAtEachSend: boolean[] = [];
    sqs.on(SendMessageCommand).callsFake(() => {
      jobItemAtEachSend.push(w.table.itemsNamed("job").length > 0);
      return { MessageId: "m" };
    });
    // 24,000 URLs of about 100 bytes: the URL bucket (10,000 burst, 200/s) sets the pace beyond the burst.
    const objects = urls(24_000, 0, "img.cdn.example.com").map((u) => `${u}/${"x".repeat(64)}`);
    const result = await post(w, { type: "url", objects });
    expect(result.statusCode).toBe(202);
    expect(jobItemAtEachSend.length).toBe(result.body.batches);
    expect(jobItemAtEachSend.every((recorded) => !recorded)).toBe(true);
    expect(w.table.item(result.body.jobId as string, "job")).toBeDefined();

    const calls = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    const messages = calls.map(
      (input) => JSON.parse(input.MessageBody as string) as { batchIndex: number; objects: string[]; notBefore: number },
    );
    const now = w.clock.now();
    let objectsBefore = 0;
    for (const [i, message] of messages.entries()) {
      // Planned from the bucket: batch i goes when the objects up to it, beyond the burst less the 1,000
      // URLs the plan keeps in reserve, have refilled.
      const refillMs = Math.max(0, ((objectsBefore + message.objects.length + 1_000 - 10_000) / 200) * 1000);
      expect(message.notBefore - now).toBeGreaterThanOrEqual(Math.floor(refillMs));
      expect(message.notBefore - now).toBeLessThanOrEqual(Math.ceil(refillMs) + 1);
      expect(calls[i]?.DelaySeconds ?? 0).toBe(Math.ceil((message.notBefore - now) / 1000));
      objectsBefore += message.objects.length;
    }
    expect(messages[0]?.notBefore).toBe(now);
    // 15,000 URLs beyond the burst and the reserve take 75 s of refill.
    expect(messages.at(-1)!.notBefore - now).toBeGreaterThan(74_000);
  });

  it("plans a job behind the jobs planned before it, and as if the buckets were full when that state is unavailable", async () => {
    w = await world({ policy: { maxObjectsPerRequest: 50_000, maxRequestBytes: 4_000_000 } });
    const notBefores = (): number[] =>
      sqs
        .commandCalls(SendMessageCommand)
        .map((c) => (JSON.parse(c.args[0].input.MessageBody as string) as { notBefore: number }).notBefore);
    expect((await post(w, { type: "tag", objects: Array.from({ length: 9_000 }, (_, i) => `a-${i}`) })).statusCode).toBe(202);
    const first = notBefores();
    sqs.resetHistory();
    expect((await post(w, { type: "tag", objects: ["b-1"] })).statusCode).toBe(202);
    // The tag bucket (5,000, 500/min) is owed 9,000 tags from the first job: the one-tag job waits its turn.
    expect(notBefores()[0]! - w.clock.now()).toBeGreaterThan(Math.max(...first) - w.clock.now());
    expect(notBefores()[0]! - w.clock.now()).toBeGreaterThan(8 * 60_000);

    // A URL job draws on another object bucket: it goes at once.
    sqs.resetHistory();
    expect((await post(w, { type: "url", objects: urls(1) })).statusCode).toBe(202);
    expect(notBefores()).toEqual([w.clock.now()]);

    sqs.resetHistory();
    w.table.mock.on(GetCommand).rejects(new Error("ProvisionedThroughputExceededException"));
    expect((await post(w, { type: "tag", objects: ["c-1"] })).statusCode).toBe(202);
    expect(notBefores()).toEqual([w.clock.now()]);
    expect(w.logger.entries.some((e) => e.message.startsWith("could not use the shared pacing state"))).toBe(true);
  });

  it("refuses a job the account's schedule cannot fit before the queue would drop its messages", async () => {
    w = await world({ policy: { maxObjectsPerRequest: 50_000, maxRequestBytes: 4_000_000 } });
    const cpcodes = (from: number) => Array.from({ length: 50_000 }, (_, i) => from + i);
    // 50,000 CP codes take about 28 hours of the CP code bucket (30 a minute); two fit in the 72 hours ahead.
    expect((await post(w, { type: "cpcode", objects: cpcodes(100_000) })).statusCode).toBe(202);
    expect((await post(w, { type: "cpcode", objects: cpcodes(200_000) })).statusCode).toBe(202);
    const version = w.table.item("pacing", "account")?.version;
    const sent = sqs.commandCalls(SendMessageCommand).length;

    const third = await post(w, { type: "cpcode", objects: cpcodes(300_000) });
    expect(third.statusCode).toBe(503);
    expect(third.body.error).toMatch(
      /^the account's cpcode purges are booked: this job's last batch could not go before \S+Z, beyond the 72 hours ahead the purge queue keeps messages for; nothing was recorded: send it again later$/,
    );
    expect(third.body.jobId).toBeUndefined();
    expect(third.body.retryAfterSeconds).toBeGreaterThan(55 * 3600);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(sent);
    expect(w.table.item("pacing", "account")?.version).toBe(version); // nothing reserved

    // A URL job draws on another bucket and is still accepted.
    expect((await post(w, { type: "url", objects: urls(1) })).statusCode).toBe(202);
  });

  it("records nothing when a batch cannot be queued, and answers 503 asking for the request again", async () => {
    w = await world();
    sqs.reset();
    sqs.on(SendMessageCommand).rejects(new Error("AWS.SimpleQueueService.NonExistentQueue"));
    const result = await post(w, { type: "tag", objects: ["a", "b"] });
    expect(result.statusCode).toBe(503);
    expect(result.body).toMatchObject({ notQueued: [0], batches: 1 });
    expect(result.body.error).toBe(
      "could not queue 1 of 1 batch(es), so the job was not recorded and nothing will be purged for it: send the request again",
    );
    expect(result.body.jobId).toBeUndefined(); // nothing to follow
    expect(await w.store.getJob("00000000-0000-4000-8000-" + String(jobCounter).padStart(12, "0"))).toBeUndefined();
    expect(w.table.itemsNamed("job")).toEqual([]);
    expect(w.table.items.size).toBe(1); // only the account's pacing state (its reservation is not given back)
  });

  it("stops queueing at the first failure of a many-batch job and lists every batch not queued", async () => {
    w = await world();
    sqs.reset();
    let calls = 0;
    sqs.on(SendMessageCommand).callsFake(() => {
      if (++calls === 3) throw new Error("ThrottlingException");
      return { MessageId: `m-${calls}` };
    });
    const objects = urls(1_800, 0, "img.cdn.example.com").map((u) => `${u}?v=${"x".repeat(60)}`);
    w.deps.enqueueConcurrency = 1;
    const answered = await post(w, { type: "url", objects });
    expect(answered.statusCode).toBe(503);
    const batches = answered.body.batches as number;
    expect(batches).toBeGreaterThan(3);
    expect(answered.body.notQueued).toEqual(Array.from({ length: batches - 2 }, (_, k) => k + 2));
    expect(w.table.itemsNamed("job")).toEqual([]);
    expect(w.table.itemsNamed("batch#0")).toEqual([]);
  });

  describe("with wait: true", () => {
    it("sends a one-batch purge inline and answers 201 with the result", async () => {
      w = await world({ sandbox: true });
      const result = await post(w, { type: "url", objects: urls(2), wait: true });
      expect(result.statusCode).toBe(201);
      const purge = w.sandbox!.state.purges[0]!;
      expect(purge).toMatchObject({ network: "staging", objects: urls(2), clientToken: NEW_CLIENT.clientToken });
      expect(result.body).toEqual({
        jobId: expect.stringMatching(JOB_ID_PATTERN),
        status: "done",
        batches: 1,
        objects: 2,
        rejected: [],
        duplicates: 0,
        purgeId: purge.purgeId,
        estimatedSeconds: 5,
        supportId: purge.supportId,
      });
      // Its message was queued first, out of sight until the inline try is surely over; it finds the batch done.
      const [queued] = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
      expect(queued?.DelaySeconds).toBe(INLINE_GUARD_SECONDS);
      expect(JSON.parse(queued?.MessageBody as string)).toMatchObject({
        batchIndex: 0,
        notBefore: w.clock.now() + INLINE_GUARD_SECONDS * 1000,
      });
      const job = await w.store.getJob(result.body.jobId as string);
      expect(job?.status).toBe("done");
      expect(job?.batches[0]).toMatchObject({ status: "done", purgeId: purge.purgeId });
      expect(w.metrics.purged).toEqual([2]);
    });

    it("queues the batch without an inline try when the account's earlier purges come first", async () => {
      w = await world({ sandbox: true });
      expect(
        (
          await post(w, {
            type: "cpcode",
            objects: [1, 2, 3, 4, 5].flatMap((k) => Array.from({ length: 60 }, (_, i) => k * 1000 + i)),
          })
        ).statusCode,
      ).toBe(202);
      sqs.resetHistory();
      const result = await post(w, { type: "cpcode", objects: [77], wait: true });
      expect(result.statusCode).toBe(202);
      expect(result.body).toMatchObject({
        status: "queued",
        inline: "not sent inline: the account's purges planned before it go first; queued",
      });
      expect(w.sandbox!.state.requests).toEqual([]);
      const [message] = sqs
        .commandCalls(SendMessageCommand)
        .map((c) => JSON.parse(c.args[0].input.MessageBody as string) as { notBefore: number });
      expect(message!.notBefore - w.clock.now()).toBeGreaterThan(60_000); // behind 300 CP codes at 30 a minute
    });

    it("queues the batch instead when Fast Purge throttles the inline send", async () => {
      w = await world({ sandbox: true });
      w.sandbox!.setFaults([{ pathPrefix: "/ccu/", status: 429 }]);
      const result = await post(w, { type: "url", objects: urls(2), wait: true });
      expect(result.statusCode).toBe(202);
      expect(result.body).toMatchObject({ status: "queued", inline: "not sent inline: Fast Purge answered 429; queued" });
      expect(sentMessages()).toEqual([expect.objectContaining({ jobId: result.body.jobId, batchIndex: 0, objects: urls(2) })]);
      expect(w.metrics.throttles).toBe(1);
      expect((await w.store.getJob(result.body.jobId as string))?.status).toBe("queued");
    });

    it("answers 422 with Akamai's detail when Fast Purge refuses the objects, and records the failure", async () => {
      w = await world({ sandbox: true });
      w.sandbox!.setFaults([{ pathPrefix: "/ccu/", status: 403 }]);
      const result = await post(w, { type: "url", objects: urls(1), wait: true });
      expect(result.statusCode).toBe(422);
      expect(result.body).toMatchObject({
        status: "failed",
        error: "Fast Purge did not accept the purge: The sandbox answered with an injected status",
        failure: { reason: "rejected", status: 403, supportId: expect.stringMatching(/^edcp-/) },
      });
      expect((await w.store.getJob(result.body.jobId as string))?.status).toBe("failed");
      // The message queued before the try finds the batch failed finally and is dropped by the worker.
      expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    });

    it("queues jobs of more than one batch", async () => {
      w = await world({ sandbox: true });
      const objects = urls(1_800, 0, "img.cdn.example.com").map((u) => `${u}?v=${"x".repeat(20)}`);
      const result = await post(w, { type: "url", objects, wait: true });
      expect(result.statusCode).toBe(202);
      expect(w.sandbox!.state.requests).toHaveLength(0);
      expect(sentMessages().length).toBe(result.body.batches);
    });
  });
});

describe("GET /purge/{jobId}", () => {
  let w: World;
  beforeEach(async () => {
    sqs.reset();
    sqs.on(SendMessageCommand).resolves({});
    w = await world({ policy: { maxObjectsPerRequest: 20_000 } });
  });
  afterEach(() => w.table.restore());

  it("400 for a malformed job id, 404 for an unknown one", async () => {
    expect(await readPurgeJob("../etc", w.deps)).toEqual({
      statusCode: 400,
      body: {
        error:
          'jobId "../etc" is not a job id; expected the jobId POST /purge answered, a lower-case UUID like 3f2b8c1e-5d4a-4c6b-9e7f-0a1b2c3d4e5f',
        field: "jobId",
      },
    });
    expect((await readPurgeJob(undefined, w.deps)).statusCode).toBe(400);
    expect(await readPurgeJob("5e1c7a3b-0000-4000-8000-000000000000", w.deps)).toEqual({
      statusCode: 404,
      body: { error: "no purge job 5e1c7a3b-0000-4000-8000-000000000000 (jobs are kept for 7 days)" },
    });
  });

  it("derives the job status from its batches and shows each batch's result or error", async () => {
    const posted = await post(w, { type: "tag", objects: Array.from({ length: 11_000 }, (_, i) => `t${i}`) });
    const jobId = posted.body.jobId as string;
    expect(posted.body.batches).toBe(3); // the tag bucket holds 5,000: no request may carry more
    const view = async () => (await readPurgeJob(jobId, w.deps)).body;

    expect(await view()).toMatchObject({
      status: "queued",
      type: "tag",
      action: "invalidate",
      network: "staging",
      objects: 11_000,
    });
    await w.store.markBatchWaiting(jobId, 2, { status: "throttled", retryAfterSeconds: 31, httpStatus: 429, detail: "429" });
    expect((await view()).status).toBe("in_progress");
    await w.store.markBatchDone(jobId, 0, { purgeId: "edcp-0", estimatedSeconds: 5, supportId: "edsp-0" });
    await w.store.markBatchFailed(jobId, 1, { reason: "rejected", status: 403, detail: "unauthorized tag", supportId: "edsp-1" });
    expect((await view()).status).toBe("in_progress");
    await w.store.markBatchFailed(jobId, 2, {
      reason: "retries exhausted",
      status: 429,
      detail: "still throttled after 10 deliveries",
    });

    const body = await view();
    expect(body).toEqual({
      jobId,
      status: "partially_failed",
      createdAt: "2025-06-01T12:00:00.000Z",
      network: "staging",
      action: "invalidate",
      type: "tag",
      objects: 11_000,
      rejected: 0,
      duplicates: 0,
      requestedBy: CALLER,
      batches: [
        { index: 0, status: "done", objects: expect.any(Number), purgeId: "edcp-0", estimatedSeconds: 5, supportId: "edsp-0" },
        {
          index: 1,
          status: "failed",
          objects: expect.any(Number),
          error: { reason: "rejected", status: 403, detail: "unauthorized tag", supportId: "edsp-1" },
        },
        // A record written with the old wording reads as the one failure code (core/purge/failure-reasons.ts).
        {
          index: 2,
          status: "failed",
          objects: expect.any(Number),
          error: { reason: "retriesExhausted", status: 429, detail: "still throttled after 10 deliveries" },
        },
      ],
    });
    expect((body.batches as Array<{ objects: number }>).reduce((sum, b) => sum + b.objects, 0)).toBe(11_000);

    await w.store.markBatchDone(jobId, 1, { purgeId: "edcp-1", estimatedSeconds: 5, supportId: null });
    await w.store.markBatchDone(jobId, 2, { purgeId: "edcp-2", estimatedSeconds: null, supportId: null });
    expect((await view()).status).toBe("done");
  });
});

describe("the answers are the contract the CLI reads (core/jobs/purge-api-contract.ts)", () => {
  let w: World;
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageCommand).resolves({ MessageId: "m" });
  });
  afterEach(() => w.table.restore());

  it("202, 400 (no valid objects), 400/403/413 errors and the job view parse with the shared schemas", async () => {
    w = await world({ policy: { maxObjectsPerRequest: 3 } });
    const queued = await post(w, { type: "url", objects: [...urls(2), "https://evil.example.net/x"] });
    expect(queued.statusCode).toBe(202);
    const submitted = submitAnswerSchema.parse(queued.body);
    expect(submitted).toMatchObject({ batches: 1, objects: 2, duplicates: 0, status: "queued" });
    expect(submitted.rejected).toEqual([
      { index: 2, object: "https://evil.example.net/x", reason: expect.stringMatching(/is not allowed/) },
    ]);

    const none = await post(w, { type: "tag", objects: ["bad tag"] });
    expect(none.statusCode).toBe(400);
    expect(rejectedAnswerSchema.parse(none.body).rejected).toHaveLength(1);
    for (const refused of [
      await post(w, { type: "page", objects: ["a"] }),
      await post(w, { type: "tag", objects: ["a"], network: "production" }),
      await post(w, { type: "tag", objects: ["a", "b", "c", "d"] }),
    ]) {
      expect([400, 403, 413]).toContain(refused.statusCode);
      expect(errorAnswerSchema.safeParse(refused.body).success).toBe(true);
      expect(submitAnswerSchema.safeParse(refused.body).success).toBe(false);
    }

    sqs.reset();
    sqs.on(SendMessageCommand).rejects(new Error("AWS.SimpleQueueService.NonExistentQueue"));
    const notRecorded = await post(w, { type: "tag", objects: ["a"] });
    expect(notRecorded.statusCode).toBe(503);
    expect(notRecordedAnswerSchema.parse(notRecorded.body)).toMatchObject({ notQueued: [0], batches: 1 });
    expect(submitAnswerSchema.safeParse(notRecorded.body).success).toBe(false); // no jobId: nothing to follow

    await w.store.markBatchFailed(submitted.jobId, 0, { reason: "not queued", detail: "queue gone" });
    const view = jobViewSchema.parse((await readPurgeJob(submitted.jobId, w.deps)).body);
    expect(view).toMatchObject({
      jobId: submitted.jobId,
      status: "failed",
      batches: [{ index: 0, status: "failed", error: { reason: "notQueued" } }],
    });
    expect(FAILURE_REASONS).toContain(view.batches[0]?.error?.reason);
  });
});
