import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { SELF_CREDENTIALS } from "../../sandbox/iam-credentials";
import { LOOPBACK_ENV, TEST_CLIENT, startHarness, type Harness } from "../helpers/sandbox-harness";

const YEAR_MS = 365 * 86_400_000;

describe("IAM self-credentials in the sandbox", () => {
  let h: Harness;
  const transports: EdgeGridTransport[] = [];
  afterEach(async () => {
    for (const t of transports.splice(0)) t.close();
    await h.close();
  });

  const signedBy = (credentials: { clientToken: string; clientSecret: string; accessToken: string }): EdgeGridTransport => {
    const transport = new EdgeGridTransport({
      credentials: { host: h.sandbox.url, ...credentials },
      env: LOOPBACK_ENV,
      now: h.clock.now,
    });
    transports.push(transport);
    return transport;
  };
  const create = async (transport = h.transport) => {
    const res = await transport.request({ method: "POST", path: SELF_CREDENTIALS });
    expect(res.status).toBe(201);
    return res.body as {
      credentialId: number;
      clientToken: string;
      clientSecret: string;
      expiresOn: string;
      createdOn: string;
      status: string;
    };
  };
  const put = (id: number, body: object, transport = h.transport) =>
    transport.request({ method: "PUT", path: `${SELF_CREDENTIALS}/${id}`, body });

  it("creates a credential whose secret is shown once and which signs for the same client at once", async () => {
    h = await startHarness();
    const created = await create();
    expect(Object.keys(created).sort()).toEqual([
      "clientSecret",
      "clientToken",
      "createdOn",
      "credentialId",
      "description",
      "expiresOn",
      "status",
    ]);
    expect(created.status).toBe("ACTIVE");
    // Default expiry: two years (OAS).
    expect(Date.parse(created.expiresOn) - Date.parse(created.createdOn)).toBeGreaterThanOrEqual(2 * YEAR_MS);
    const fresh = signedBy({
      clientToken: created.clientToken,
      clientSecret: created.clientSecret,
      accessToken: TEST_CLIENT.accessToken,
    });
    const listed = await fresh.request({ method: "GET", path: SELF_CREDENTIALS, query: { actions: true } });
    expect(listed.status).toBe(200);
    expect(listed.rawBody.toString()).not.toContain(created.clientSecret);
    const items = listed.body as Array<Record<string, unknown>>;
    expect(items.map((c) => c.credentialId)).toEqual([100001, created.credentialId]);
    expect(items[1]).toMatchObject({
      status: "ACTIVE",
      maxAllowedExpiry: expect.any(String),
      actions: { deactivate: true, delete: false },
    });
    const one = await h.transport.request({ method: "GET", path: `${SELF_CREDENTIALS}/${created.credentialId}` });
    expect(one.rawBody.toString()).not.toContain(created.clientSecret);
  });

  it("answers 401 to a request signed with a deactivated credential, and signs again once reactivated", async () => {
    h = await startHarness();
    const created = await create();
    const other = signedBy({ ...created, accessToken: TEST_CLIENT.accessToken });
    expect(
      (await h.transport.request({ method: "POST", path: `${SELF_CREDENTIALS}/${created.credentialId}/deactivate` })).status,
    ).toBe(204);

    const refused = await other.request({
      method: "POST",
      path: "/ccu/v3/invalidate/url/production",
      body: { objects: ["https://www.example.com/"] },
    });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ title: "Not authorized", detail: "Inactive client token" });
    expect(h.sandbox.state.requests.at(-1)).toMatchObject({ status: 401, authFailure: "inactive_credential" });
    expect(h.sandbox.state.purges).toHaveLength(0);

    const reactivated = await put(created.credentialId, {
      status: "ACTIVE",
      expiresOn: new Date(h.clock.now() + YEAR_MS).toISOString(),
    });
    expect(reactivated.status).toBe(200);
    expect((await other.request({ method: "GET", path: SELF_CREDENTIALS })).status).toBe(200);
  });

  it("refuses an expired credential with 401", async () => {
    h = await startHarness();
    const created = await create();
    await put(created.credentialId, { status: "ACTIVE", expiresOn: new Date(h.clock.now() + 60_000).toISOString() });
    h.clock.advance(60_001);
    const res = await signedBy({ ...created, accessToken: TEST_CLIENT.accessToken }).request({
      method: "GET",
      path: SELF_CREDENTIALS,
    });
    expect(res).toMatchObject({ status: 401, body: { detail: "Expired client token" } });
  });

  it("deletes only INACTIVE credentials; a deleted one is gone and cannot sign", async () => {
    h = await startHarness();
    const created = await create();
    const path = `${SELF_CREDENTIALS}/${created.credentialId}`;
    const active = await h.transport.request({ method: "DELETE", path });
    expect(active).toMatchObject({ status: 400, body: { detail: "Only INACTIVE credentials can be deleted" } });
    await put(created.credentialId, { status: "INACTIVE", expiresOn: created.expiresOn, description: "retired" });
    expect((await h.transport.request({ method: "DELETE", path })).status).toBe(204);
    expect((await h.transport.request({ method: "GET", path })).status).toBe(404);
    expect(
      (await signedBy({ ...created, accessToken: TEST_CLIENT.accessToken }).request({ method: "GET", path: SELF_CREDENTIALS }))
        .status,
    ).toBe(401);
    expect(((await h.transport.request({ method: "GET", path: SELF_CREDENTIALS })).body as unknown[]).length).toBe(1);
  });

  it("validates updates: milliseconds required, maxAllowedExpiry, status values, unknown fields", async () => {
    h = await startHarness();
    const { credentialId, createdOn } = await create();
    const expectDetail = async (body: object, detail: RegExp) => {
      const res = await put(credentialId, body);
      expect(res.status).toBe(400);
      expect((res.body as { detail: string }).detail).toMatch(detail);
    };
    await expectDetail({ status: "ACTIVE", expiresOn: "2026-01-01T00:00:00Z" }, /with milliseconds/);
    await expectDetail(
      { status: "ACTIVE", expiresOn: new Date(Date.parse(createdOn) + 3 * YEAR_MS).toISOString() },
      /maxAllowedExpiry/,
    );
    await expectDetail(
      { status: "PAUSED", expiresOn: new Date(h.clock.now() + YEAR_MS).toISOString() },
      /one of ACTIVE, INACTIVE, DELETED/,
    );
    await expectDetail(
      { status: "ACTIVE", expiresOn: new Date(h.clock.now() - 1000).toISOString() },
      /in the future for an ACTIVE credential/,
    );
    await expectDetail(
      { status: "ACTIVE", expiresOn: new Date(h.clock.now() + YEAR_MS).toISOString(), clientSecret: "x" },
      /Unknown field\(s\): clientSecret/,
    );
    const ok = await put(credentialId, {
      status: "ACTIVE",
      expiresOn: new Date(h.clock.now() + YEAR_MS).toISOString(),
      description: "d",
    });
    expect(ok).toMatchObject({ status: 200, body: { status: "ACTIVE", description: "d" } });
  });

  it("caps credentials per client (ACTIVE + INACTIVE) and counts deleted ones out", async () => {
    h = await startHarness({ iam: { maxCredentialsPerClient: 2 } });
    const second = await create();
    const third = await h.transport.request({ method: "POST", path: SELF_CREDENTIALS });
    expect(third).toMatchObject({
      status: 400,
      body: { detail: "The API client already has 2 credentials, the most allowed; delete an INACTIVE credential first" },
    });
    await h.transport.request({ method: "POST", path: `${SELF_CREDENTIALS}/${second.credentialId}/deactivate` });
    expect((await h.transport.request({ method: "POST", path: SELF_CREDENTIALS })).status).toBe(400);
    await h.transport.request({ method: "DELETE", path: `${SELF_CREDENTIALS}/${second.credentialId}` });
    expect((await h.transport.request({ method: "POST", path: SELF_CREDENTIALS })).status).toBe(201);
  });

  it("keeps API clients apart: another client's credentials are not found", async () => {
    const other = { clientToken: "akab-other-client", clientSecret: "b3RoZXItc2VjcmV0", accessToken: "akab-other-access" };
    h = await startHarness({ clients: [TEST_CLIENT, other] });
    const mine = await create();
    const theirs = signedBy(other);
    expect((await theirs.request({ method: "GET", path: `${SELF_CREDENTIALS}/${mine.credentialId}` })).status).toBe(404);
    expect(
      ((await theirs.request({ method: "GET", path: SELF_CREDENTIALS })).body as Array<{ clientToken: string }>).map(
        (c) => c.clientToken,
      ),
    ).toEqual([other.clientToken]);
    expect(h.sandbox.state.iam.clients.map((c) => c.credentials.length)).toEqual([2, 1]);
  });

  it("deactivates all of the caller's credentials, the caller's own included", async () => {
    h = await startHarness();
    await create();
    expect((await h.transport.request({ method: "POST", path: `${SELF_CREDENTIALS}/deactivate` })).status).toBe(204);
    expect((await h.transport.request({ method: "GET", path: SELF_CREDENTIALS })).status).toBe(401);
    expect(h.sandbox.state.iam.clients[0]!.credentials.map((c) => c.status)).toEqual(["INACTIVE", "INACTIVE"]);
  });
});
