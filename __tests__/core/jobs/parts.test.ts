import { EdgeGridTransport } from "../../../core/edgegrid/transport";
import {
  batchFromMessage,
  decodeBatchMessage,
  encodeBatchMessage,
  newJobId,
  JOB_ID_PATTERN,
  type BatchMessage,
} from "../../../core/jobs/message";
import { PurgePolicyError, parsePurgePolicy } from "../../../core/jobs/policy";
import { MAX_DELAY_SECONDS, MAX_VISIBILITY_SECONDS, clampDelay, clampVisibility } from "../../../core/jobs/queue-settings";
import { queueUrlFromArn } from "../../../functions/aws/sqs-queue";
import { purgeHttpFromTransport } from "../../../core/jobs/send";
import { planBatches } from "../../../core/purge/planner";
import { PurgeBuckets } from "../../../core/purge/rate-limit";
import { sendOne } from "../../../core/purge/sender";
import { LOOPBACK_ENV, NEW_CLIENT, fakeClock, startTestSandbox } from "./helpers";

describe("batch messages", () => {
  const message: BatchMessage = {
    jobId: newJobId(),
    batchIndex: 3,
    type: "url",
    action: "delete",
    network: "production",
    objects: ["https://www.example.com/é", "https://www.example.com/b"],
  };

  it("round-trip, and rebuild exactly the request the planner made", () => {
    expect(message.jobId).toMatch(JOB_ID_PATTERN);
    expect(decodeBatchMessage(encodeBatchMessage(message))).toEqual({ ok: true, message });
    const [planned] = planBatches({ type: "url", action: "delete", network: "production", objects: message.objects }).batches;
    expect(batchFromMessage(message)).toEqual(planned);
  });

  it("say what is wrong with a bad message and which batch it names", () => {
    expect(decodeBatchMessage("{")).toEqual({ ok: false, problem: "message body is not JSON" });
    const bad = decodeBatchMessage(JSON.stringify({ ...message, network: "prod" }));
    expect(bad).toMatchObject({ ok: false, jobId: message.jobId, batchIndex: 3 });
    expect(!bad.ok && bad.problem).toMatch(/^network: /);
    expect(decodeBatchMessage(JSON.stringify({ ...message, jobId: "x" }))).toEqual({
      ok: false,
      problem: expect.stringMatching(/^jobId: /),
    });
  });

  it("carry the planned send time when there is one, and refuse one that is not a time", () => {
    const planned = { ...message, notBefore: Date.UTC(2025, 5, 1, 12, 30) };
    expect(decodeBatchMessage(encodeBatchMessage(planned))).toEqual({ ok: true, message: planned });
    expect(JSON.parse(encodeBatchMessage(message))).not.toHaveProperty("notBefore");
    const bad = decodeBatchMessage(JSON.stringify({ ...message, notBefore: "soon" }));
    expect(bad).toMatchObject({ ok: false, jobId: message.jobId, batchIndex: 3 });
    expect(!bad.ok && bad.problem).toMatch(/^notBefore: /);
    expect(decodeBatchMessage(JSON.stringify({ ...message, extra: 1 }))).toMatchObject({ ok: false });
  });
});

describe("queue helpers", () => {
  it("derive the queue URL from the event source ARN", () => {
    expect(queueUrlFromArn("arn:aws:sqs:eu-west-1:123456789012:edgeplane-prod-purge")).toBe(
      "https://sqs.eu-west-1.amazonaws.com/123456789012/edgeplane-prod-purge",
    );
    expect(queueUrlFromArn("arn:aws-cn:sqs:cn-north-1:123456789012:q")).toBe(
      "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q",
    );
    expect(() => queueUrlFromArn("arn:aws:sns:eu-west-1:123456789012:t")).toThrow("not an SQS queue ARN");
  });

  it("round visibility up to whole seconds within SQS's range", () => {
    expect([clampVisibility(0.001), clampVisibility(30.5), clampVisibility(-1), clampVisibility(NaN)]).toEqual([1, 31, 0, 0]);
    expect(clampVisibility(10 ** 9)).toBe(MAX_VISIBILITY_SECONDS);
    expect(MAX_VISIBILITY_SECONDS).toBe(43_200);
  });

  it("round message delays up to whole seconds within SQS's 15 minutes", () => {
    expect([clampDelay(0), clampDelay(0.2), clampDelay(899.5), clampDelay(5_400), clampDelay(NaN)]).toEqual([
      0,
      1,
      900,
      MAX_DELAY_SECONDS,
      0,
    ]);
  });
});

describe("parsePurgePolicy", () => {
  const policy = {
    allowedHostnames: ["www.example.com"],
    allowedNetworks: ["staging"],
    defaultAction: "invalidate",
    maxObjectsPerRequest: 10,
    maxRequestBytes: 2048,
  };
  it("reads the policy the stack passes and names what is wrong", () => {
    expect(parsePurgePolicy(JSON.stringify(policy))).toEqual(policy);
    expect(() => parsePurgePolicy(undefined)).toThrow(PurgePolicyError);
    expect(() => parsePurgePolicy(JSON.stringify({ ...policy, allowedNetworks: ["prod"] }))).toThrow(/allowedNetworks\[0\]/);
    expect(() => parsePurgePolicy(JSON.stringify({ ...policy, allowedHostnames: ["Bad Host"] }))).toThrow(
      /allowedHostnames\[0\]/,
    );
  });
});

describe("purgeHttpFromTransport", () => {
  it("turns a 201 whose JSON is cut short into 'may have been accepted', not a transport error", async () => {
    const clock = fakeClock();
    const sandbox = await startTestSandbox(clock, { faults: [{ pathPrefix: "/ccu/", malformedJson: true }] });
    const transport = new EdgeGridTransport({
      credentials: { host: sandbox.url, ...NEW_CLIENT },
      env: LOOPBACK_ENV,
      now: clock.now,
    });
    try {
      const [batch] = planBatches({ type: "tag", action: "invalidate", network: "staging", objects: ["a"] }).batches;
      const result = await sendOne(batch!, {
        http: purgeHttpFromTransport(transport),
        buckets: new PurgeBuckets({ now: clock.now }),
        random: () => 0,
        attempt: 1,
        maxAttempts: 3,
      });
      expect(result).toMatchObject({ kind: "failed", reason: "malformedResponse", status: 201 });
      expect(sandbox.state.purges).toHaveLength(1); // it was in fact accepted
    } finally {
      transport.close();
      await sandbox.close();
    }
  });
});
