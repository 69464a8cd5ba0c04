import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  encodeS3Key,
  ObjectStoreError,
  S3_MAX_ATTEMPTS,
  S3ObjectStore,
  s3BucketUrl,
  s3ErrorCode,
  s3ObjectUrl,
} from "../../../functions/aws/s3-object-store";
import { startFakeS3, type FakeS3 } from "../../helpers/fake-s3";
import { LOOPBACK_ENV } from "../../helpers/sandbox-harness";

const BUCKET = "edgeplane-prod-edgekv-tokens-123456789012";
const KEY = "edgekv_tokens/site-ro/edgekv_tokens.js";
const REGION = "eu-west-1";
const CREDENTIALS = { accessKeyId: "AKIDFAKES3TEST", secretAccessKey: "fake-s3-secret-key", sessionToken: "fake-session-token" };

describe("S3ObjectStore against the fake S3", () => {
  let fake: FakeS3;
  let sleeps: number[];
  const storeWith = (credentials: typeof CREDENTIALS | (() => Promise<typeof CREDENTIALS>) = async () => CREDENTIALS) =>
    new S3ObjectStore({
      bucket: BUCKET,
      region: REGION,
      credentials,
      endpoint: fake.url,
      env: LOOPBACK_ENV,
      sleep: async (ms) => void sleeps.push(ms),
    });
  let store: S3ObjectStore;

  beforeAll(async () => {
    fake = await startFakeS3({ bucket: BUCKET, region: REGION, ...CREDENTIALS });
    store = storeWith();
  });
  beforeEach(() => {
    fake.reset();
    sleeps = [];
  });
  afterEach(() => expect(fake.rejections).toEqual([]));
  afterAll(() => fake.close());

  it("reads the current object with its LastModified", async () => {
    const body = Buffer.from("var edgekv_access_tokens = {};\nexport { edgekv_access_tokens };\n");
    fake.seed(KEY, Buffer.from("older version"));
    fake.seed(KEY, body, { lastModifiedMs: Date.parse("2025-06-01T12:00:00Z") });
    await expect(store.get(KEY)).resolves.toEqual({ body, lastModifiedMs: Date.parse("2025-06-01T12:00:00Z") });
    expect(fake.requests).toEqual([{ method: "GET", rawPath: `/${BUCKET}/${KEY}`, key: KEY, status: 200 }]);
  });

  it("reads a missing object (NoSuchKey) as none, but AccessDenied is an error, never an empty file", async () => {
    await expect(store.get(KEY)).resolves.toBeUndefined();
    fake.fail({ method: "GET", code: "AccessDenied", status: 403 });
    await expect(store.get(KEY)).rejects.toThrow(
      new ObjectStoreError(`cannot read s3://${BUCKET}/${KEY}: AccessDenied (HTTP 403)`),
    );
  });

  it("a missing bucket is an error, not a missing object", async () => {
    const other = new S3ObjectStore({
      bucket: "no-such-bucket",
      region: REGION,
      credentials: CREDENTIALS,
      endpoint: fake.url,
      env: LOOPBACK_ENV,
    });
    await expect(other.get(KEY)).rejects.toThrow(`cannot read s3://no-such-bucket/${KEY}: NoSuchBucket (HTTP 404)`);
  });

  it("names the bucket, key and S3 error on other failures, after trying 5xx answers again", async () => {
    fake.fail({ method: "GET", code: "SlowDown", status: 503 });
    await expect(store.get(KEY)).rejects.toThrow(new ObjectStoreError(`cannot read s3://${BUCKET}/${KEY}: SlowDown (HTTP 503)`));
    expect(fake.requests).toHaveLength(S3_MAX_ATTEMPTS);
    expect(sleeps).toEqual([200, 400]);

    fake.fail({ method: "PUT", code: "KMS.AccessDeniedException", status: 400 });
    await expect(store.put(KEY, Buffer.from("x"), "application/javascript")).rejects.toThrow(
      `cannot write s3://${BUCKET}/${KEY}: KMS.AccessDeniedException (HTTP 400)`,
    );
    expect(fake.requests).toHaveLength(S3_MAX_ATTEMPTS + 1); // a 4xx is not tried again
  });

  it("one SlowDown is tried again and the call succeeds", async () => {
    fake.seed(KEY, Buffer.from("file"));
    fake.fail({ method: "GET", code: "SlowDown", status: 503, times: 1 });
    await expect(store.get(KEY)).resolves.toMatchObject({ body: Buffer.from("file") });
    expect(fake.requests.map((r) => r.status)).toEqual([503, 200]);
  });

  it("writes with the content type and returns the new version id (the bucket's default KMS encryption applies)", async () => {
    const first = await store.put(KEY, Buffer.from("file"), "application/javascript");
    const second = await store.put(KEY, Buffer.from("file 2"), "application/javascript");
    expect(fake.puts).toEqual([
      { key: KEY, body: Buffer.from("file"), contentType: "application/javascript", versionId: first.versionId },
      { key: KEY, body: Buffer.from("file 2"), contentType: "application/javascript", versionId: second.versionId },
    ]);
    expect(first.versionId).toMatch(/^fakeVersion/);
    expect(second.versionId).not.toBe(first.versionId);
    expect(fake.versions(KEY).map((v) => v.versionId)).toEqual([first.versionId, second.versionId]);
    await expect(store.get(KEY)).resolves.toMatchObject({ body: Buffer.from("file 2") });
  });

  it("signs keys with characters S3 encodes (space, =, +, unicode) so that S3's own canonical form matches", async () => {
    const key = "bundles/4242/a b=c+d(ü)~*.tgz";
    const { versionId } = await store.put(key, Buffer.from([0, 1, 2, 255]), "application/gzip");
    expect(versionId).toBeDefined();
    await expect(store.get(key)).resolves.toMatchObject({ body: Buffer.from([0, 1, 2, 255]) });
    expect(fake.requests.map((r) => r.rawPath)).toEqual([
      `/${BUCKET}/bundles/4242/a%20b%3Dc%2Bd%28%C3%BC%29~%2A.tgz`,
      `/${BUCKET}/bundles/4242/a%20b%3Dc%2Bd%28%C3%BC%29~%2A.tgz`,
    ]);
  });

  it("never puts object contents into errors", async () => {
    const secret = Buffer.from('{"value":"edgekv-token-value-1234567890"}');
    fake.seed(KEY, secret);
    fake.fail({ code: "AccessDenied", status: 403 });
    const errors = await Promise.all([
      store.get(KEY).catch((e: Error) => e),
      store.put(KEY, secret, "application/json").catch((e: Error) => e),
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(ObjectStoreError);
      expect(String((error as Error).message)).not.toContain("edgekv-token-value");
    }
  });

  describe("the fake checks signing as S3 does (so these checks can fail)", () => {
    afterEach(() => fake.rejections.splice(0)); // the rejections are what these tests expect

    it("a wrong secret key is SignatureDoesNotMatch", async () => {
      await expect(storeWith({ ...CREDENTIALS, secretAccessKey: "wrong" }).get(KEY)).rejects.toThrow(
        `cannot read s3://${BUCKET}/${KEY}: SignatureDoesNotMatch (HTTP 403)`,
      );
      expect(fake.rejections).toEqual([expect.stringContaining("signature mismatch")]);
    });

    it("another access key is InvalidAccessKeyId; an unsigned session token is refused", async () => {
      await expect(storeWith({ ...CREDENTIALS, accessKeyId: "AKIDOTHER" }).get(KEY)).rejects.toThrow(
        ": InvalidAccessKeyId (HTTP 403)",
      );
      const { sessionToken: _dropped, ...withoutToken } = CREDENTIALS;
      await expect(storeWith(withoutToken as typeof CREDENTIALS).put(KEY, Buffer.from("x"), "text/plain")).rejects.toThrow(
        ": AccessDenied (HTTP 403)",
      );
      expect(fake.rejections).toEqual([
        expect.stringContaining("InvalidAccessKeyId"),
        expect.stringContaining("headers not signed: x-amz-security-token"),
      ]);
    });
  });

  it("a connection failure is tried again, then named without request data", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = new S3ObjectStore({
      bucket: BUCKET,
      region: REGION,
      credentials: CREDENTIALS,
      endpoint: `http://127.0.0.1:${port}`,
      env: LOOPBACK_ENV,
      sleep: async (ms) => void sleeps.push(ms),
    });
    await expect(unreachable.get(KEY)).rejects.toThrow(
      `cannot read s3://${BUCKET}/${KEY}: network error ECONNREFUSED (after ${S3_MAX_ATTEMPTS} tries)`,
    );
    expect(sleeps).toHaveLength(S3_MAX_ATTEMPTS - 1);
  });

  it("without credentials nothing is sent, and the error says so once", async () => {
    const noCredentials = storeWith(async () => {
      throw new Error("Unable to find environment variable credentials.");
    });
    await expect(noCredentials.get(KEY)).rejects.toThrow(
      `cannot read s3://${BUCKET}/${KEY}: cannot sign the request: Unable to find environment variable credentials.`,
    );
    expect(fake.requests).toEqual([]);
  });

  it("refuses keys a URL cannot carry as they are", async () => {
    await expect(store.get("bundles/../secrets")).rejects.toThrow(
      'cannot read s3://edgeplane-prod-edgekv-tokens-123456789012/bundles/../secrets: the key must be non-empty, not start with "/" and have no "." or ".." segment',
    );
    await expect(store.put("/abs", Buffer.from("x"), "text/plain")).rejects.toThrow("cannot write");
    expect(fake.requests).toEqual([]);
  });
});

describe("S3 addressing", () => {
  it("is virtual-hosted style in the function's region, keys UriEncoded with '/' kept", () => {
    const base = s3BucketUrl(BUCKET, REGION, undefined, {});
    expect(base.href).toBe(`https://${BUCKET}.s3.eu-west-1.amazonaws.com/`);
    expect(s3ObjectUrl(base, KEY).href).toBe(`https://${BUCKET}.s3.eu-west-1.amazonaws.com/${KEY}`);
    expect(s3ObjectUrl(base, "a b/c=d").href).toBe(`https://${BUCKET}.s3.eu-west-1.amazonaws.com/a%20b/c%3Dd`);
    expect(s3BucketUrl(BUCKET, "cn-north-1", undefined, {}).href).toBe(`https://${BUCKET}.s3.cn-north-1.amazonaws.com.cn/`);
  });

  it("is path style under AWS_ENDPOINT_URL_S3: https anywhere, http to loopback only with EDGEPLANE_INSECURE_LOOPBACK=1", () => {
    expect(s3ObjectUrl(s3BucketUrl(BUCKET, REGION, "https://s3.example.test/", {}), KEY).href).toBe(
      `https://s3.example.test/${BUCKET}/${KEY}`,
    );
    expect(s3BucketUrl(BUCKET, REGION, "http://127.0.0.1:9000", LOOPBACK_ENV).href).toBe(`http://127.0.0.1:9000/${BUCKET}/`);
    expect(() => s3BucketUrl(BUCKET, REGION, "http://127.0.0.1:9000", {})).toThrow(
      "AWS_ENDPOINT_URL_S3 must be https://host[:port] (plain http only to 127.0.0.1 or localhost with EDGEPLANE_INSECURE_LOOPBACK=1); got scheme http://127.0.0.1",
    );
    expect(() => s3BucketUrl(BUCKET, REGION, "http://s3.example.test", LOOPBACK_ENV)).toThrow(
      "AWS_ENDPOINT_URL_S3 must be https://host[:port]",
    );
    expect(() => s3BucketUrl(BUCKET, REGION, "not a url", {})).toThrow("AWS_ENDPOINT_URL_S3 is not a URL");
  });

  it("names a bucket or region it cannot address", () => {
    expect(() => new S3ObjectStore({ bucket: "my.dotted.bucket", region: REGION, credentials: CREDENTIALS })).toThrow(
      'S3 bucket name "my.dotted.bucket" is not allowed: 3-63 lower-case letters, digits and inner dashes (no dots)',
    );
    expect(() => new S3ObjectStore({ bucket: BUCKET, region: "Europe", credentials: CREDENTIALS })).toThrow(
      'AWS region "Europe" is not a region name like eu-west-1',
    );
  });

  it("encodes keys as S3 signs them and reads S3 error codes", () => {
    expect(encodeS3Key("a/b c/d!'()*~._-")).toBe("a/b%20c/d%21%27%28%29%2A~._-");
    expect(s3ErrorCode('<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>m</Message></Error>')).toBe("NoSuchKey");
    expect(s3ErrorCode("")).toBeUndefined();
  });
});
