/**
 * The deployed entry point: module-scope clients, settings from the environment the stack sets,
 * Powertools logs and EMF metrics on stdout. Real sandbox over loopback; AWS mocked.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ChangeMessageVisibilityCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import type { SQSEvent } from "aws-lambda";
import { ENV } from "../../../core/environment-names";
import { JobStore } from "../../../functions/aws/job-store";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import {
  FakeJobsTable,
  NEW_CLIENT,
  QUEUE_URL,
  TABLE,
  secretString,
  secretsOf,
  sqsRecord,
  captureProcessOutput,
} from "../../core/jobs/helpers";

type Handler = typeof import("../../../functions/purge-worker/index").handler;

const JOB_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-AbCdEf";

/** Powertools writes one JSON object per line (logs and EMF); other writes (Node warnings) are skipped. */
function emfLines(chunks: string[]): Array<Record<string, any>> {
  return chunks
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

describe("purge-worker handler", () => {
  const sqs = mockClient(SQSClient);
  const sm = mockClient(SecretsManagerClient);
  let table: FakeJobsTable;
  let sandbox: Sandbox;
  let handler: Handler;
  let stdout: string[];
  let savedEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    savedEnv = { ...process.env };
    Object.assign(process.env, {
      [ENV.jobsTable]: TABLE,
      [ENV.edgegridSecretArn]: SECRET_ARN,
      [ENV.purgeDeadLetterQueueUrl]: "https://sqs.eu-west-1.amazonaws.com/123456789012/edgeplane-test-purge-dlq",
      [ENV.environmentName]: "test",
      [ENV.serviceName]: "purge-worker",
      [ENV.metricsNamespace]: "edgeplane",
      EDGEPLANE_INSECURE_LOOPBACK: "1",
      AWS_REGION: "eu-west-1",
    });
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    sandbox = await startSandbox({ clients: [NEW_CLIENT] });
    // Required after the environment is set: the module reads it (Powertools at import).
    handler = (require("../../../functions/purge-worker/index") as { handler: Handler }).handler;
  });
  beforeEach(() => {
    table = new FakeJobsTable();
    sqs.reset();
    sm.reset();
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretString(sandbox, NEW_CLIENT), VersionId: "v1" });
    stdout = [];
    captureProcessOutput(stdout);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    table.restore();
  });
  afterAll(async () => {
    sqs.restore();
    sm.restore();
    process.env = savedEnv;
    await sandbox.close();
  });

  it("purges, records the job, and emits the purge metrics as EMF without any secret", async () => {
    const store = new JobStore({ client: table.client(), tableName: TABLE });
    const objects = ["https://www.example.com/a", "https://www.example.com/b"];
    await store.createJob({
      jobId: JOB_ID,
      type: "url",
      action: "delete",
      network: "staging",
      requestedBy: "arn:aws:iam::123456789012:user/ci",
      rejected: 0,
      duplicates: 0,
      batches: [{ objects: 2, bodyBytes: 60 }],
    });
    const body = { jobId: JOB_ID, batchIndex: 0, type: "url", action: "delete", network: "staging", objects };
    const event: SQSEvent = { Records: [sqsRecord(body)] };

    const result = await handler(event, { getRemainingTimeInMillis: () => 120_000 });

    expect(result).toEqual({ batchItemFailures: [] });
    expect(sandbox.state.purges.at(-1)).toMatchObject({ action: "delete", type: "url", network: "staging", objects });
    expect((await store.getJob(JOB_ID))?.batches[0]).toMatchObject({
      status: "done",
      purgeId: sandbox.state.purges.at(-1)!.purgeId,
    });

    const output = stdout.join("");
    const emf = emfLines(stdout).find((line) => line._aws !== undefined);
    expect(emf?._aws.CloudWatchMetrics[0].Namespace).toBe("edgeplane");
    expect(emf?._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name).sort()).toEqual([
      "FastPurgeLatency",
      "PurgedObjects",
    ]);
    expect(emf?.PurgedObjects).toBe(2);
    expect(emf?.environment).toBe("test");
    for (const secret of secretsOf(NEW_CLIENT)) expect(output).not.toContain(secret);
  });

  it("returns a message it could not settle as a batch item failure and makes it visible after the wait", async () => {
    const store = new JobStore({ client: table.client(), tableName: TABLE });
    await store.createJob({
      jobId: JOB_ID,
      type: "tag",
      action: "invalidate",
      network: "staging",
      requestedBy: "x",
      rejected: 0,
      duplicates: 0,
      batches: [{ objects: 1, bodyBytes: 20 }],
    });
    sandbox.setFaults([{ pathPrefix: "/ccu/", status: 429 }]);
    const record = sqsRecord({
      jobId: JOB_ID,
      batchIndex: 0,
      type: "tag",
      action: "invalidate",
      network: "staging",
      objects: ["t1"],
    });
    expect(await handler({ Records: [record] })).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input;
    expect(visibility?.QueueUrl).toBe(QUEUE_URL);
    expect(visibility?.VisibilityTimeout).toBeGreaterThanOrEqual(5); // 5 s plus up to 1 s of jitter
    expect(visibility?.VisibilityTimeout).toBeLessThanOrEqual(6);
    const emf = emfLines(stdout).find((line) => line._aws !== undefined);
    expect(emf?.FastPurgeThrottled).toBe(1);
  });
});
