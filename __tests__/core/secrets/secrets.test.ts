import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { CredentialCache, DEFAULT_CREDENTIAL_TTL_MS, type LoadedCredential } from "../../../core/secrets/credential-cache";
import { EdgeGridSecretError, parseEdgeGridSecret } from "../../../core/secrets/edgegrid-secret";
import { secretsManagerCredentialLoader } from "../../../functions/aws/secrets-manager-credentials";

const SECRET = {
  host: "akab-aaaa-bbbb.luna.akamaiapis.net",
  client_token: "akab-client-token-value-xyz",
  client_secret: "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr",
  access_token: "akab-access-token-value-xyz",
};
const VALUES = [SECRET.client_token, SECRET.client_secret, SECRET.access_token];

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

function expectNoValues(error: Error, values: string[] = VALUES): void {
  const text = `${error.message}\n${error.stack ?? ""}\n${JSON.stringify(error)}`;
  for (const value of values) expect(text).not.toContain(value);
}

describe("parseEdgeGridSecret", () => {
  it("reads the four keys into credentials", () => {
    expect(parseEdgeGridSecret(JSON.stringify(SECRET))).toEqual({
      host: SECRET.host,
      clientToken: SECRET.client_token,
      clientSecret: SECRET.client_secret,
      accessToken: SECRET.access_token,
    });
  });

  it("tolerates the credential_id the bootstrap secret carries, and nothing else", () => {
    expect(parseEdgeGridSecret(JSON.stringify({ ...SECRET, credential_id: 12345 })).clientToken).toBe(SECRET.client_token);
    const error = errorOf(() => parseEdgeGridSecret(JSON.stringify({ ...SECRET, max_body: 131072 })));
    expect(error).toBeInstanceOf(EdgeGridSecretError);
    expect(error.message).toContain("unknown key(s) max_body");
    expect(error.message).toContain("expected exactly the keys host, client_token, client_secret, access_token");
  });

  it("names missing and empty keys without echoing any value", () => {
    const { client_secret: _omitted, ...withoutSecret } = SECRET;
    const missing = errorOf(() => parseEdgeGridSecret(JSON.stringify(withoutSecret), "secret arn:aws:secretsmanager:x"));
    expect(missing.message).toContain("secret arn:aws:secretsmanager:x is invalid: client_secret is missing");
    expectNoValues(missing);

    const empty = errorOf(() => parseEdgeGridSecret(JSON.stringify({ ...SECRET, access_token: " " })));
    expect(empty.message).toContain("access_token must be a non-empty string");
    expectNoValues(empty);

    const wrongType = errorOf(() => parseEdgeGridSecret(JSON.stringify({ ...SECRET, client_token: 42 })));
    expect(wrongType.message).toContain("client_token must be a non-empty string");
    expectNoValues(wrongType);
  });

  it("does not quote the secret text when the JSON is broken (V8's syntax errors would)", () => {
    const broken = JSON.stringify(SECRET).replace(`"${SECRET.client_secret}"`, SECRET.client_secret);
    const error = errorOf(() => parseEdgeGridSecret(broken));
    expect(error.message).toMatch(/is not valid JSON/);
    expectNoValues(error);
    expect(errorOf(() => parseEdgeGridSecret('["a"]')).message).toMatch(/must be a JSON object/);
  });

  it("shortens an unknown key that looks like a value", () => {
    const error = errorOf(() => parseEdgeGridSecret(JSON.stringify({ ...SECRET, [SECRET.client_secret]: "x" })));
    expectNoValues(error);
  });
});

describe("CredentialCache", () => {
  const credential = (n: number): LoadedCredential => ({
    credentials: { host: "h", clientToken: `ct-${n}`, clientSecret: `cs-${n}`, accessToken: "at" },
    versionId: `v${n}`,
  });

  it("reads once per TTL (60 s by default) on the injected clock", async () => {
    let t = 0;
    let reads = 0;
    const cache = new CredentialCache({ load: async () => credential(++reads), now: () => t });
    expect(DEFAULT_CREDENTIAL_TTL_MS).toBe(60_000);
    expect((await cache.get()).versionId).toBe("v1");
    t = 59_999;
    expect((await cache.get()).versionId).toBe("v1");
    t = 60_000;
    expect((await cache.get()).versionId).toBe("v2");
    expect(reads).toBe(2);
  });

  it("invalidate() makes the next get() read again", async () => {
    let reads = 0;
    const cache = new CredentialCache({ load: async () => credential(++reads), now: () => 0 });
    await cache.get();
    cache.invalidate();
    expect((await cache.get()).versionId).toBe("v2");
    expect((await cache.get()).versionId).toBe("v2");
    expect(reads).toBe(2);
  });

  it("shares one read between concurrent callers", async () => {
    let reads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cache = new CredentialCache({
      load: async () => {
        reads++;
        await gate;
        return credential(reads);
      },
    });
    const both = Promise.all([cache.get(), cache.get()]);
    release();
    const [a, b] = await both;
    expect(a).toBe(b);
    expect(reads).toBe(1);
  });

  it("does not cache a failed read, and a read started before invalidate() does not refill the cache", async () => {
    let reads = 0;
    const cache = new CredentialCache({
      load: async () => {
        reads++;
        if (reads === 1) throw new EdgeGridSecretError("boom");
        return credential(reads);
      },
      now: () => 0,
    });
    await expect(cache.get()).rejects.toThrow("boom");
    expect((await cache.get()).versionId).toBe("v2");

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let slowReads = 0;
    const slow = new CredentialCache({
      load: async () => {
        const n = ++slowReads;
        if (n === 1) await gate;
        return credential(n);
      },
      now: () => 0,
    });
    const stale = slow.get();
    slow.invalidate();
    const fresh = await slow.get();
    release();
    expect((await stale).versionId).toBe("v1");
    expect(fresh.versionId).toBe("v2");
    expect((await slow.get()).versionId).toBe("v2");
  });
});

describe("secretsManagerCredentialLoader", () => {
  const sm = mockClient(SecretsManagerClient);
  const client = new SecretsManagerClient({ region: "eu-west-1" });
  const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-AbCdEf";
  afterEach(() => sm.reset());
  afterAll(() => sm.restore());

  it("reads AWSCURRENT and keeps the VersionId", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SECRET), VersionId: "ver-1" });
    const loaded = await secretsManagerCredentialLoader(client, ARN)();
    expect(loaded).toEqual({ credentials: expect.objectContaining({ clientToken: SECRET.client_token }), versionId: "ver-1" });
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: ARN, VersionStage: "AWSCURRENT" });
  });

  it("reports AWS errors and bad values by the secret's ARN, without values", async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(
      new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
    );
    const notFound = await secretsManagerCredentialLoader(client, ARN)().catch((e: Error) => e);
    expect(notFound).toBeInstanceOf(EdgeGridSecretError);
    expect((notFound as Error).message).toBe(
      `cannot read the EdgeGrid secret ${ARN} (AWSCURRENT): ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
    );

    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...SECRET, extra: SECRET.client_secret }) });
    const invalid = (await secretsManagerCredentialLoader(client, ARN)().catch((e: Error) => e)) as Error;
    expect(invalid.message).toContain(`the EdgeGrid secret ${ARN} (AWSCURRENT) is invalid: unknown key(s) extra`);
    expectNoValues(invalid);

    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(secretsManagerCredentialLoader(client, ARN)()).rejects.toThrow("has no SecretString");
  });
});
