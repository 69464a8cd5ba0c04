/**
 * The validator itself: it must fail on a broken request and on a broken sandbox answer, and each live
 * difference must be needed (the published documents alone refuse what the live API sends).
 */
import { defaultSeedTokens } from "../../sandbox/seed-tokens";
import type { SandboxExchange } from "../../sandbox/server";
import { startHarness } from "../helpers/sandbox-harness";
import { checkExchange } from "./exchanges";
import { LIVE_DIFFERENCES, withLiveDifferences } from "./live-differences";
import { loadDocuments, OpenApiValidator, toJsonSchema } from "./openapi-validator";

const published = loadDocuments();
const validator = new OpenApiValidator(withLiveDifferences(published));
const documentsOnly = new OpenApiValidator(published);
const UUID = "12886ccf-7662-5f19-b039-766740ce227f";

describe("requests", () => {
  it("accepts a conforming token create and refuses a broken one, naming each problem", () => {
    const good = {
      name: "t1",
      allowOnStaging: true,
      allowOnProduction: false,
      namespacePermissions: { site_config: ["r", "w"] },
    };
    expect(
      validator.checkRequest({ method: "POST", path: "/edgekv/v1/tokens", contentType: "application/json", body: good }),
    ).toEqual([]);
    // Akamai's EdgeWorkers CLI spelling restrictToEwids, a permission that does not exist, a missing field
    const broken = { name: "t1", allowOnStaging: true, namespacePermissions: { site_config: ["x"] }, restrictToEwids: ["42"] };
    expect(
      validator.checkRequest({ method: "POST", path: "/edgekv/v1/tokens", contentType: "application/json", body: broken }),
    ).toEqual([
      "POST /edgekv/v1/tokens request body: must have required property 'allowOnProduction'",
      "POST /edgekv/v1/tokens request body: must NOT have additional properties (restrictToEwids)",
      "POST /edgekv/v1/tokens request body/namespacePermissions/site_config/0: must be equal to one of the allowed values",
    ]);
  });

  it("checks path and query parameters, content types and bodies where none are taken", () => {
    expect(
      validator.checkRequest({
        method: "POST",
        path: "/ccu/v3/invalidate/url/qa",
        contentType: "application/json",
        body: { objects: ["https://a.example/"] },
      }),
    ).toEqual(["POST /ccu/v3/invalidate/url/{network} path parameter network: must be equal to one of the allowed values"]);
    expect(
      validator.checkRequest({
        method: "POST",
        path: "/ccu/v3/invalidate/cpcode/staging",
        contentType: "application/json",
        body: { objects: ["123"] },
      }),
    ).toEqual(["POST /ccu/v3/invalidate/cpcode/{network} request body/objects/0: must be integer"]);
    expect(
      validator.checkRequest({
        method: "GET",
        path: "/edgekv/v1/tokens",
        query: new URLSearchParams("includeExpired=yes&page=2"),
      }),
    ).toEqual([
      "GET /edgekv/v1/tokens query parameter includeExpired: must be boolean",
      "GET /edgekv/v1/tokens query parameter page is not documented",
    ]);
    expect(
      validator.checkRequest({
        method: "POST",
        path: "/edgeworkers/v1/ids/42/versions",
        contentType: "application/json",
        body: { version: "1" },
      }),
    ).toEqual([
      "POST /edgeworkers/v1/ids/{edgeWorkerId}/versions request content type application/json is not one of application/gzip",
    ]);
    expect(validator.checkRequest({ method: "GET", path: "/edgeworkers/v1/ids/0/versions" })).toEqual([
      "GET /edgeworkers/v1/ids/{edgeWorkerId}/versions path parameter edgeWorkerId: must be >= 1",
    ]);
    expect(
      validator.checkRequest({
        method: "POST",
        path: "/identity-management/v3/api-clients/self/credentials",
        contentType: "application/json",
        body: { x: 1 },
      }),
    ).toEqual(["POST /identity-management/v3/api-clients/self/credentials takes no request body"]);
    expect(validator.checkRequest({ method: "PATCH", path: "/edgekv/v1/tokens" })).toEqual([
      "PATCH /edgekv/v1/tokens: no operation in the documents",
    ]);
  });

  it("matches literal paths before templated ones", () => {
    expect(validator.findOperation("POST", "/identity-management/v3/api-clients/self/credentials/deactivate")?.template).toBe(
      "/api-clients/self/credentials/deactivate",
    );
    expect(
      validator.findOperation("POST", "/identity-management/v3/api-clients/self/credentials/123/deactivate")?.pathValues,
    ).toEqual({ credentialId: "123" });
  });
});

describe("sandbox answers", () => {
  it("refuses an EdgeWorker id listing without the fields the document requires (the sandbox's answer before this change)", () => {
    const before = { edgeWorkerIds: [{ edgeWorkerId: 42, name: "sandbox-42", accountId: "A-SANDBOX", resourceTierId: 100 }] };
    const problems = validator.checkResponse({
      method: "GET",
      path: "/edgeworkers/v1/ids",
      status: 200,
      contentType: "application/json",
      body: before,
      bodyBytes: 1,
    });
    expect(problems).toEqual(
      ["createdBy", "createdTime", "groupId", "lastModifiedBy", "lastModifiedTime"].map(
        (field) => `GET /edgeworkers/v1/ids → 200 body/edgeWorkerIds/0: must have required property '${field}'`,
      ),
    );
  });

  it("refuses a Fast Purge 429 sent as application/problem+json, and a status the operation does not document", () => {
    const body = { supportId: "edcp-1", title: "Rate Limit exceeded", httpStatus: 429, detail: "" };
    expect(
      validator.checkResponse({
        method: "POST",
        path: "/ccu/v3/invalidate/url/staging",
        status: 429,
        contentType: "application/problem+json",
        body,
        bodyBytes: 1,
      }),
    ).toEqual([
      "POST /ccu/v3/invalidate/url/{network} → 429 content type application/problem+json is not one of application/json",
    ]);
    expect(
      validator.checkResponse({
        method: "POST",
        path: "/ccu/v3/invalidate/url/staging",
        status: 429,
        contentType: "application/json; charset=utf-8",
        body,
        bodyBytes: 1,
      }),
    ).toEqual([]);
    expect(
      validator.checkResponse({
        method: "POST",
        path: "/ccu/v3/invalidate/url/staging",
        status: 418,
        contentType: "application/json",
        body,
        bodyBytes: 1,
      }),
    ).toEqual(["POST /ccu/v3/invalidate/url/{network} → 418 is not a documented status (documented: 201, 400, 403, 429, 500)"]);
  });

  it("fails a real sandbox answer that was broken on the way (a token list item missing its uuid)", async () => {
    const exchanges: SandboxExchange[] = [];
    const h = await startHarness({
      edgeKv: { tokens: defaultSeedTokens(Date.UTC(2025, 5, 1)) },
      onExchange: (exchange) => exchanges.push(exchange),
    });
    try {
      expect((await h.transport.request({ method: "GET", path: "/edgekv/v1/tokens" })).status).toBe(200);
    } finally {
      await h.close();
    }
    const [exchange] = exchanges;
    expect(checkExchange(validator, exchange!).problems).toEqual([]);
    const body = exchange!.response.body as { tokens: Array<Record<string, unknown>> };
    delete body.tokens[0]!.uuid;
    body.tokens[1]!.expiry = "soon";
    expect(checkExchange(validator, exchange!).problems).toEqual([
      "GET /edgekv/v1/tokens → 200 body/tokens/0: must have required property 'uuid'",
      'GET /edgekv/v1/tokens → 200 body/tokens/1/expiry: must match format "date"',
    ]);
  });
});

describe("live differences", () => {
  it("each one is needed: the published documents alone refuse what the live API sends, the amended ones accept it", () => {
    const legacyListItem = {
      name: "old",
      uuid: UUID,
      expiry: "2025-07-01",
      tokenActivationStatus: null,
      issueDate: null,
      latestRefreshDate: null,
      nextScheduledRefreshDate: null,
    };
    const enhancedToken = {
      name: "t1",
      uuid: UUID,
      expiry: "9999-12-31",
      issueDate: "2025-06-01",
      latestRefreshDate: null,
      nextScheduledRefreshDate: "2025-08-01",
      tokenActivationStatus: "IN_PROGRESS",
    };
    const cases: Array<[string, (v: OpenApiValidator) => string[]]> = [
      [
        "token list items with null refresh fields",
        (v) =>
          v.checkResponse({
            method: "GET",
            path: "/edgekv/v1/tokens",
            status: 200,
            contentType: "application/json",
            body: { tokens: [legacyListItem] },
            bodyBytes: 1,
          }),
      ],
      [
        "an enhanced token without value",
        (v) =>
          v.checkResponse({
            method: "GET",
            path: "/edgekv/v1/tokens/t1",
            status: 200,
            contentType: "application/json",
            body: enhancedToken,
            bodyBytes: 1,
          }),
      ],
      [
        "create without expiry",
        (v) =>
          v.checkRequest({
            method: "POST",
            path: "/edgekv/v1/tokens",
            contentType: "application/json",
            body: { name: "t1", allowOnStaging: true, allowOnProduction: false, namespacePermissions: { a: ["r"] } },
          }),
      ],
      ["token refresh", (v) => v.checkRequest({ method: "POST", path: "/edgekv/v1/tokens/t1/refresh" })],
      ["rate-limit-status", (v) => v.checkRequest({ method: "POST", path: "/ccu/v3/rate-limit-status/url" })],
      [
        "a dotted EdgeWorkers version in a path",
        (v) => v.checkRequest({ method: "GET", path: "/edgeworkers/v1/ids/42/versions/1.0.0" }),
      ],
    ];
    expect(cases).toHaveLength(LIVE_DIFFERENCES.length);
    for (const [what, check] of cases) {
      expect({ what, refusedByDocuments: check(documentsOnly).length > 0 }).toEqual({ what, refusedByDocuments: true });
      expect({ what, problems: check(validator) }).toEqual({ what, problems: [] });
    }
    for (const difference of LIVE_DIFFERENCES) expect(difference.source.length).toBeGreaterThan(20);
  });

  it("leaves the published documents unchanged", () => {
    expect(loadDocuments()).toEqual(published);
    expect(published.find((d) => d.servers[0]!.url.endsWith("/edgekv/v1"))!.paths["/tokens/{tokenName}/refresh"]).toBeUndefined();
  });
});

describe("toJsonSchema", () => {
  it("admits null where OpenAPI says nullable and merges allOf members that each forbid the other's fields", () => {
    expect(toJsonSchema({ type: "string", nullable: true, enum: ["a"], "x-akamai": {}, example: "a" })).toEqual({
      type: ["string", "null"],
      enum: ["a", null],
    });
    expect(
      toJsonSchema({
        allOf: [
          { type: "object", additionalProperties: false, required: ["a"], properties: { a: { type: "string" } } },
          { type: "object", additionalProperties: false, required: ["b"], properties: { b: { type: "string", nullable: true } } },
        ],
      }),
    ).toEqual({
      type: "object",
      additionalProperties: false,
      required: ["a", "b"],
      properties: { a: { type: "string" }, b: { type: ["string", "null"] } },
    });
  });
});
