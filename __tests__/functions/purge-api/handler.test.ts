/**
 * The deployed entry point: routing, the caller's identity, settings from the environment the stack sets,
 * JSON answers. AWS mocked with aws-sdk-client-mock; inline purges reach the real sandbox over loopback.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { ENV } from "../../../core/environment-names";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import {
  FakeJobsTable,
  NEW_CLIENT,
  QUEUE_URL,
  TABLE,
  secretString,
  secretsOf,
  captureProcessOutput,
} from "../../core/jobs/helpers";
import { CALLER, purgeApiEvent } from "../../helpers/purge-api-event";

type Handler = typeof import("../../../functions/purge-api/index").handler;

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-AbCdEf";

const event = purgeApiEvent;

function json(result: { body?: string }): Record<string, any> {
  return JSON.parse(result.body ?? "{}") as Record<string, any>;
}

describe("purge-api handler", () => {
  const sqs = mockClient(SQSClient);
  const sm = mockClient(SecretsManagerClient);
  let table: FakeJobsTable;
  let sandbox: Sandbox;
  let handler: Handler;
  let output: string[];
  let savedEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    savedEnv = { ...process.env };
    Object.assign(process.env, {
      [ENV.jobsTable]: TABLE,
      [ENV.purgeQueueUrl]: QUEUE_URL,
      [ENV.edgegridSecretArn]: SECRET_ARN,
      [ENV.environmentName]: "test",
      [ENV.serviceName]: "purge-api",
      [ENV.metricsNamespace]: "edgeplane",
      [ENV.purgePolicy]: JSON.stringify({
        allowedHostnames: ["www.example.com"],
        allowedNetworks: ["staging"],
        defaultAction: "invalidate",
        maxObjectsPerRequest: 100,
        maxRequestBytes: 10_000,
      }),
      EDGEPLANE_INSECURE_LOOPBACK: "1",
      AWS_REGION: "eu-west-1",
    });
    sandbox = await startSandbox({ clients: [NEW_CLIENT] });
    // Required after the environment is set: the module reads it (Powertools at import).
    handler = (require("../../../functions/purge-api/index") as { handler: Handler }).handler;
  });
  beforeEach(() => {
    table = new FakeJobsTable();
    sqs.reset();
    sm.reset();
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-1" });
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretString(sandbox, NEW_CLIENT), VersionId: "v1" });
    output = [];
    captureProcessOutput(output);
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

  it("POST /purge records who asked, queues the batch and answers 202 JSON; GET reads it back", async () => {
    const posted = await handler(event("POST /purge", { body: { type: "url", objects: ["https://www.example.com/a"] } }));
    expect(posted.statusCode).toBe(202);
    expect(posted.headers).toEqual({ "content-type": "application/json", "cache-control": "no-store" });
    const { jobId } = json(posted);
    expect(json(posted)).toMatchObject({ jobId, batches: 1, objects: 1, rejected: [], status: "queued" });
    expect(table.item(jobId, "job")?.requestedBy).toBe(CALLER);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.QueueUrl).toBe(QUEUE_URL);

    const read = await handler(event("GET /purge/{jobId}", { jobId }));
    expect(read.statusCode).toBe(200);
    expect(json(read)).toMatchObject({
      jobId,
      status: "queued",
      requestedBy: CALLER,
      batches: [{ index: 0, status: "queued", objects: 1 }],
    });
  });

  it("POST /purge with wait: true purges inline through the sandbox and answers 201", async () => {
    const posted = await handler(
      event("POST /purge", { body: { type: "url", objects: ["https://www.example.com/b"], wait: true } }),
    );
    expect(posted.statusCode).toBe(201);
    expect(json(posted)).toMatchObject({ status: "done", purgeId: sandbox.state.purges.at(-1)!.purgeId, estimatedSeconds: 5 });
    // The one message, queued before the job was recorded, stays out of sight until the inline try is over.
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.DelaySeconds)).toEqual([60]);
    for (const secret of secretsOf(NEW_CLIENT)) expect(output.join("")).not.toContain(secret);
    expect(output.join("")).toContain('"PurgedObjects":1');
  });

  it("answers 403 for production here, 404 for unknown jobs and routes, 500 without internals when DynamoDB fails", async () => {
    const production = await handler(event("POST /purge", { body: { type: "tag", objects: ["a"], network: "production" } }));
    expect(production.statusCode).toBe(403);
    expect(json(production).error).toBe("network production is not allowed in this environment; allowed: staging");

    expect((await handler(event("GET /purge/{jobId}", { jobId: "5e1c7a3b-0000-4000-8000-000000000000" }))).statusCode).toBe(404);
    expect((await handler(event("GET /purge/{jobId}", { jobId: "nope" }))).statusCode).toBe(400);
    expect(json(await handler(event("DELETE /purge")))).toEqual({
      error: "no route DELETE /purge; routes: POST /purge, GET /purge/{jobId}",
    });

    table.mock.rejects(new Error("AccessDeniedException: not allowed on table arn:aws:dynamodb:...:table/x"));
    const failed = await handler(event("POST /purge", { body: { type: "tag", objects: ["a"] } }));
    expect(failed.statusCode).toBe(500);
    expect(json(failed)).toEqual({ error: "internal error; the purge API logged the cause", requestId: "req-1" });
    expect(output.join("")).toContain("AccessDeniedException");
  });
});
