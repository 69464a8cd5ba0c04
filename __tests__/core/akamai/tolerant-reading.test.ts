/**
 * Tolerant reading of Akamai answers: optional fields may be absent or null, unknown fields are ignored,
 * and a list item that cannot be read is reported by name without taking the list down.
 * Live shapes: Akamai's Go SDK (pkg/edgeworkers/edgekv_access_tokens.go) models tokenActivationStatus,
 * issueDate, latestRefreshDate and nextScheduledRefreshDate of token list items as optional and nullable.
 */
import { AkamaiResponseShapeError, describeUnreadable } from "../../../core/akamai/api-error";
import { EdgeKvTokensClient, edgeKvTokenKind } from "../../../core/akamai/edgekv-tokens";
import { EdgeWorkersClient } from "../../../core/akamai/edgeworkers";
import { IamCredentialsClient } from "../../../core/akamai/iam-credentials";
import { planBatches } from "../../../core/purge/planner";
import { PurgeBuckets } from "../../../core/purge/rate-limit";
import { sendOne } from "../../../core/purge/sender";
import { answer, scriptedHttp } from "./fake-http";

const UUID_A = "12886ccf-7662-5f19-b039-766740ce227f";
const UUID_B = "a600dfaa-3b7a-5d2a-bae3-b0c0d0e88e4a";
const UUID_C = "fa3a7ae0-1b0c-45c7-adc3-f0638c6b7466";

describe("EdgeKV token list", () => {
  it("reads tokens whose refresh fields are null, absent or unknown", async () => {
    const client = new EdgeKvTokensClient(
      scriptedHttp(
        answer(200, {
          tokens: [
            // never refreshed enhanced token: null dates and status
            {
              name: "never-refreshed",
              uuid: UUID_A,
              expiry: "9999-12-31",
              tokenActivationStatus: null,
              issueDate: null,
              latestRefreshDate: null,
              nextScheduledRefreshDate: null,
            },
            // legacy token as the live API lists it: the four fields present and null
            {
              name: "legacy",
              uuid: UUID_B,
              expiry: "2025-07-01",
              tokenActivationStatus: null,
              issueDate: null,
              latestRefreshDate: null,
              nextScheduledRefreshDate: null,
            },
            // a field the client does not know
            {
              name: "newer",
              uuid: UUID_C,
              expiry: "9999-12-31",
              tokenActivationStatus: "COMPLETE",
              issueDate: "2025-06-01",
              futureField: { x: 1 },
            },
          ],
          paging: { next: null },
        }),
      ),
    );
    const list = await client.listTokensDetailed();
    expect(list.unreadable).toEqual([]);
    expect(list.tokens).toEqual([
      { name: "never-refreshed", uuid: UUID_A, expiry: "9999-12-31" },
      { name: "legacy", uuid: UUID_B, expiry: "2025-07-01" },
      { name: "newer", uuid: UUID_C, expiry: "9999-12-31", tokenActivationStatus: "COMPLETE", issueDate: "2025-06-01" },
    ]);
    expect(list.tokens.map((t) => edgeKvTokenKind(t))).toEqual(["enhanced", "legacy", "enhanced"]);
  });

  it("sets aside an item it cannot read, by name, and keeps the others", async () => {
    const http = scriptedHttp(
      answer(200, {
        tokens: [
          { name: "good", uuid: UUID_A, expiry: "9999-12-31" },
          { name: "no-uuid", expiry: "2025-07-01", tokenActivationStatus: null },
          { uuid: UUID_C, expiry: 20250701 },
          "not an object",
        ],
      }),
      answer(200, { tokens: [{ name: "good", uuid: UUID_A, expiry: "9999-12-31" }, { name: "no-uuid" }] }),
    );
    const client = new EdgeKvTokensClient(http);
    const list = await client.listTokensDetailed();
    expect(list.tokens.map((t) => t.name)).toEqual(["good"]);
    expect(list.unreadable).toEqual([
      { item: "name no-uuid", index: 1, problems: ["tokens.1.uuid: expected string"] },
      { item: `uuid ${UUID_C}`, index: 2, problems: ["tokens.2.name: expected string", "tokens.2.expiry: expected string"] },
      { item: "item 3", index: 3, problems: ["tokens.3: expected object"] },
    ]);
    expect(describeUnreadable(list.unreadable)).toMatch(
      /^3 unreadable item\(s\): name no-uuid \(tokens\.1\.uuid: expected string\); /,
    );
    // listTokens: the readable ones
    expect((await client.listTokens()).map((t) => t.name)).toEqual(["good"]);
  });

  it("still refuses an answer without the list itself", async () => {
    const client = new EdgeKvTokensClient(scriptedHttp(answer(200, { items: [] })));
    await expect(client.listTokens()).rejects.toThrow(AkamaiResponseShapeError);
  });

  it("reads get/create/refresh answers with null optional fields as absent", async () => {
    const token = {
      name: "t1",
      uuid: UUID_A,
      expiry: "9999-12-31",
      allowOnProduction: null,
      allowOnStaging: true,
      cpcode: 1234567,
      issueDate: "2025-06-01",
      latestRefreshDate: null,
      nextScheduledRefreshDate: null,
      namespacePermissions: { default: ["r"] },
      restrictToEdgeWorkerIds: null,
      tokenActivationStatus: "IN_PROGRESS",
      somethingNew: true,
    };
    const client = new EdgeKvTokensClient(scriptedHttp(answer(200, token), answer(200, token)));
    const expected = {
      name: "t1",
      uuid: UUID_A,
      expiry: "9999-12-31",
      allowOnStaging: true,
      cpcode: "1234567",
      issueDate: "2025-06-01",
      namespacePermissions: { default: ["r"] },
      tokenActivationStatus: "IN_PROGRESS",
    };
    expect(await client.getToken("t1")).toEqual(expected);
    expect(await client.refreshToken("t1")).toEqual(expected);
  });
});

describe("EdgeWorkers and IAM lists", () => {
  it("keeps readable versions and activations, names the others, and reads nulls as absent", async () => {
    const client = new EdgeWorkersClient(
      scriptedHttp(
        answer(200, { versions: [{ edgeWorkerId: 42, version: "1.0", checksum: null, createdBy: null }, { edgeWorkerId: 42 }] }),
        answer(200, {
          activations: [
            {
              activationId: 1,
              edgeWorkerId: 42,
              version: "1.0",
              network: "STAGING",
              status: "COMPLETE",
              note: null,
              lastModifiedTime: null,
            },
            { activationId: 2, edgeWorkerId: 42, version: "1.1", network: "STAGING" },
          ],
        }),
      ),
    );
    const versions = await client.listVersionsDetailed(42);
    expect(versions.items).toEqual([{ edgeWorkerId: 42, version: "1.0" }]);
    expect(versions.unreadable).toEqual([
      { item: "edgeWorkerId 42", index: 1, problems: ["versions.1.version: matches none of the allowed forms"] },
    ]);
    const activations = await client.listActivationsDetailed(42);
    expect(activations.items).toEqual([
      { activationId: 1, edgeWorkerId: 42, version: "1.0", network: "STAGING", status: "COMPLETE" },
    ]);
    expect(activations.unreadable).toEqual([
      { item: "activationId 2", index: 1, problems: ["activations.1.status: expected string"] },
    ]);
  });

  it("keeps readable credentials and names the others by credentialId, never showing a secret", async () => {
    const secret = "c2VjcmV0LXRoYXQtbXVzdC1ub3QtbGVhaw==";
    const client = new IamCredentialsClient(
      scriptedHttp(
        answer(200, [
          {
            credentialId: 1,
            clientToken: "akab-1",
            createdOn: "2025-01-01T00:00:00.000Z",
            expiresOn: "2027-01-01T00:00:00.000Z",
            status: "ACTIVE",
            description: null,
            maxAllowedExpiry: null,
            actions: null,
            extra: 1,
          },
          {
            credentialId: 2,
            clientToken: "akab-2",
            createdOn: "2025-01-01T00:00:00.000Z",
            expiresOn: "soon",
            status: "ACTIVE",
            clientSecret: secret,
          },
        ]),
      ),
    );
    const list = await client.listSelfCredentialsDetailed();
    expect(list.items).toEqual([
      {
        credentialId: 1,
        clientToken: "akab-1",
        createdOn: "2025-01-01T00:00:00.000Z",
        expiresOn: "2027-01-01T00:00:00.000Z",
        status: "ACTIVE",
        description: "",
      },
    ]);
    expect(list.unreadable).toEqual([
      { item: "credentialId 2", index: 1, problems: ["1.expiresOn: must be an ISO 8601 timestamp"] },
    ]);
    expect(JSON.stringify(list)).not.toContain(secret);
  });
});

describe("Fast Purge answers (core/purge/sender.ts)", () => {
  const batch = planBatches({ type: "url", action: "invalidate", network: "staging", objects: ["https://www.example.com/a"] })
    .batches[0]!;
  const sendWith = (status: number, body: unknown) =>
    sendOne(batch, {
      http: { post: async () => ({ status, headers: {}, body }) },
      buckets: new PurgeBuckets({ now: () => 0 }),
      random: () => 0,
      attempt: 1,
      maxAttempts: 3,
    });

  it("reads a 201 with null or absent optional fields and unknown fields", async () => {
    expect(
      await sendWith(201, {
        purgeId: "p1",
        estimatedSeconds: null,
        supportId: null,
        httpStatus: 201,
        detail: null,
        somethingNew: [1],
      }),
    ).toEqual({
      kind: "done",
      requestSent: true,
      accepted: { purgeId: "p1", estimatedSeconds: null, supportId: null, path: batch.path, objects: batch.objects },
    });
    expect(await sendWith(201, { purgeId: "p2" })).toMatchObject({
      kind: "done",
      accepted: { purgeId: "p2", estimatedSeconds: null, supportId: null },
    });
  });

  it("reads a 429 whose problem fields are null", async () => {
    expect(await sendWith(429, { title: null, detail: null, supportId: null, httpStatus: 429 })).toMatchObject({
      kind: "retryAfter",
      cause: "throttled",
      status: 429,
    });
  });
});
