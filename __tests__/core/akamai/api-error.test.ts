import { AkamaiApiError, AkamaiResponseShapeError, isAkamaiApiError, problemFrom } from "../../../core/akamai/api-error";
import { EdgeKvTokensClient } from "../../../core/akamai/edgekv-tokens";
import { EdgeWorkersClient } from "../../../core/akamai/edgeworkers";
import { IamCredentialsClient } from "../../../core/akamai/iam-credentials";
import { answer, scriptedHttp } from "./fake-http";

const SECRET = "c2VjcmV0LWZyb20tdGhlLWNyZWF0ZS1hbnN3ZXItZG8tbm90LWxlYWs=";
const JWT = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJl";

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("problemFrom", () => {
  it("reads the problem shapes Akamai APIs use", () => {
    // EdgeKV (OAS examples/token-409.json)
    expect(
      problemFrom({
        additionalDetail: { requestId: "9c5c61e18b90013b" },
        detail: "Token with name my_token is already stored.",
        errorCode: "EKV_3000",
        instance: "/edgekv/error-instances/e0dd",
        status: 409,
        title: "Conflict",
        type: "/edgekv/error-types/edgekv-conflict",
      }),
    ).toEqual({
      title: "Conflict",
      detail: "Token with name my_token is already stored.",
      type: "/edgekv/error-types/edgekv-conflict",
      instance: "/edgekv/error-instances/e0dd",
      errorCode: "EKV_3000",
      requestId: "9c5c61e18b90013b",
    });
    // Fast Purge / IAM style, and the API gateway's
    expect(problemFrom({ supportId: "edcp-1", title: "Bad request", httpStatus: 400, detail: "bad URL" })).toMatchObject({
      supportId: "edcp-1",
      detail: "bad URL",
    });
    expect(
      problemFrom({
        type: "https://problems.luna.akamaiapis.net/-/pep-authn/deny",
        title: "Not authorized",
        detail: "Inactive client token",
        requestId: "1e7f0f0f",
      }),
    ).toMatchObject({
      requestId: "1e7f0f0f",
    });
  });

  it("ignores everything else, strips control characters and cuts long fields", () => {
    expect(problemFrom("<html>gateway</html>")).toEqual({});
    expect(problemFrom(null)).toEqual({});
    expect(problemFrom({ clientSecret: SECRET, detail: "line1\nline2\u0000" })).toEqual({ detail: "line1 line2" });
    expect(problemFrom({ detail: "x".repeat(1000) }).detail).toHaveLength(301);
  });
});

describe("client error mapping", () => {
  it("surfaces Akamai's detail and supportId with the operation, method and path", async () => {
    const http = scriptedHttp(
      answer(403, {
        type: "/iam/forbidden",
        title: "Forbidden",
        detail: "The client lacks IAM credential access",
        supportId: "sup-42",
        httpStatus: 403,
      }),
    );
    const error = await caught(new IamCredentialsClient(http).createSelfCredential());
    expect(error).toBeInstanceOf(AkamaiApiError);
    expect(error.message).toBe(
      "create credential (POST /identity-management/v3/api-clients/self/credentials) failed: HTTP 403 Forbidden: The client lacks IAM credential access (supportId sup-42)",
    );
    expect(error).toMatchObject({
      status: 403,
      supportId: "sup-42",
      detail: "The client lacks IAM credential access",
      isAuthFailure: true,
      retryable: false,
    });
    expect(isAkamaiApiError(error, 403)).toBe(true);
    expect(isAkamaiApiError(error, 404)).toBe(false);
  });

  it("keeps the new credential's secret out of a shape error, but names the credential", async () => {
    const http = scriptedHttp(
      answer(201, { credentialId: 14111, clientSecret: SECRET, createdOn: "2025-01-01T00:00:00.000Z", status: "ACTIVE" }),
    );
    const error = await caught(new IamCredentialsClient(http).createSelfCredential());
    expect(error).toBeInstanceOf(AkamaiResponseShapeError);
    expect(error.message).toMatch(
      /create credential \(credential 14111 may exist without a stored secret\) .*HTTP 201 answer has an unexpected shape: clientToken: .*expiresOn/,
    );
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });

  it("keeps a legacy token's value out of errors", async () => {
    const http = scriptedHttp(answer(200, { name: "t1", value: JWT, expiry: 20250101 }));
    const error = await caught(new EdgeKvTokensClient(http).getToken("t1"));
    expect(error.message).toMatch(
      /get EdgeKV token t1 \(GET \/edgekv\/v1\/tokens\/t1\): HTTP 200 answer has an unexpected shape: uuid: .*; expiry: /,
    );
    expect(error.message).not.toContain(JWT);
  });

  it("maps EdgeKV error codes and request ids, and reads its 'no tokens' 404 as an empty list", async () => {
    const client = new EdgeKvTokensClient(
      scriptedHttp(
        answer(409, {
          detail: "Token with name t1 is already stored.",
          errorCode: "EKV_3000",
          status: 409,
          title: "Conflict",
          additionalDetail: { requestId: "bc75" },
        }),
        answer(404, { detail: "No tokens exist.", errorCode: "EKV_3000", status: 404, title: "Not Found" }),
        answer(404, {
          type: "https://problems.luna.akamaiapis.net/-/resource-impl/forward-origin-error",
          title: "Not Found",
          status: 404,
        }),
        answer(410, { detail: "Token has expired.", errorCode: "EKV_3000", status: 410, title: "Not Found" }),
      ),
    );
    const conflict = await caught(
      client.createToken({
        name: "t1",
        allowOnStaging: true,
        allowOnProduction: false,
        namespacePermissions: { default: ["r"] },
      }),
    );
    expect(conflict.message).toBe(
      "create EdgeKV token t1 (POST /edgekv/v1/tokens) failed: HTTP 409 Conflict: Token with name t1 is already stored. (errorCode EKV_3000, requestId bc75)",
    );
    await expect(client.listTokens({ includeExpired: true })).resolves.toEqual([]);
    await expect(client.listTokens()).rejects.toMatchObject({ status: 404 });
    await expect(client.getToken("t1")).rejects.toMatchObject({ status: 410, detail: "Token has expired." });
  });

  it("checks requests before sending them", async () => {
    const http = scriptedHttp();
    const tokens = new EdgeKvTokensClient(http);
    await expect(
      tokens.createToken({
        name: "bad name!",
        allowOnStaging: false,
        allowOnProduction: false,
        namespacePermissions: { default: ["r", "r"] },
        expiry: "30/09/2025",
      }),
    ).rejects.toThrow(
      "invalid EdgeKV token request: name must be 1-32 characters of A-Z a-z 0-9 _ -; allowOnStaging or allowOnProduction must be true; namespacePermissions.default must be 1-3 distinct permissions from r, w, d; expiry must be a date YYYY-MM-DD",
    );
    await expect(tokens.getToken("../initialize")).rejects.toThrow(/token name must be/);
    const workers = new EdgeWorkersClient(http);
    await expect(workers.uploadVersion(42, Buffer.alloc(512 * 1024 + 1))).rejects.toThrow(/at most 524288 bytes compressed/);
    await expect(workers.activateVersion(42, { network: "staging" as never, version: "1" })).rejects.toThrow(
      /network must be one of STAGING, PRODUCTION/,
    );
    await expect(workers.listVersions(-1)).rejects.toThrow(/edgeWorkerId must be a positive integer/);
    expect(http.requests).toEqual([]);
  });

  it("marks 429 and 5xx as retryable", async () => {
    const client = new EdgeWorkersClient(
      scriptedHttp(answer(503, "<html>Service Unavailable</html>"), answer(429, { title: "Too Many Requests", status: 429 })),
    );
    await expect(client.getActivation(42, 1)).rejects.toMatchObject({ status: 503, retryable: true, problem: {} });
    await expect(client.listActivations(42)).rejects.toMatchObject({ status: 429, retryable: true });
  });
});
