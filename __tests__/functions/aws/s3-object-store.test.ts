import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { ObjectStoreError, S3ObjectStore } from "../../../functions/aws/s3-object-store";

const BUCKET = "edgeplane-prod-edgekv-tokens-123456789012";
const KEY = "edgekv_tokens/site-ro/edgekv_tokens.js";

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode: status }, message: `${name} message` });
}

describe("S3ObjectStore", () => {
  const s3 = mockClient(S3Client);
  const store = new S3ObjectStore(new S3Client({ region: "eu-west-1" }), BUCKET);
  beforeEach(() => s3.reset());
  afterAll(() => s3.restore());

  it("reads the current object with its LastModified", async () => {
    const body = Buffer.from("var edgekv_access_tokens = {};\nexport { edgekv_access_tokens };\n");
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: KEY }).resolves({
      Body: { transformToByteArray: async () => new Uint8Array(body) } as never,
      LastModified: new Date("2025-06-01T12:00:00Z"),
    });
    await expect(store.get(KEY)).resolves.toEqual({ body, lastModifiedMs: Date.parse("2025-06-01T12:00:00Z") });
  });

  it("reads a missing object (NoSuchKey) as none, but AccessDenied is an error, never an empty file", async () => {
    s3.on(GetObjectCommand).rejectsOnce(s3Error("NoSuchKey", 404)).rejectsOnce(s3Error("AccessDenied", 403));
    await expect(store.get(KEY)).resolves.toBeUndefined();
    await expect(store.get(KEY)).rejects.toThrow(`cannot read s3://${BUCKET}/${KEY}: AccessDenied (HTTP 403)`);
  });

  it("names the bucket, key and AWS error on other failures", async () => {
    s3.on(GetObjectCommand).rejects(s3Error("SlowDown", 503));
    await expect(store.get(KEY)).rejects.toThrow(new ObjectStoreError(`cannot read s3://${BUCKET}/${KEY}: SlowDown (HTTP 503)`));
    s3.on(PutObjectCommand).rejects(s3Error("KMS.AccessDeniedException", 400));
    await expect(store.put(KEY, Buffer.from("x"), "application/javascript")).rejects.toThrow(`cannot write s3://${BUCKET}/${KEY}: KMS.AccessDeniedException (HTTP 400)`);
  });

  it("writes with the content type and returns the new version id (the bucket's default KMS encryption applies)", async () => {
    s3.on(PutObjectCommand).resolves({ VersionId: "3HL4kqtJlcpXroDTDmJ" });
    await expect(store.put(KEY, Buffer.from("file"), "application/javascript")).resolves.toEqual({ versionId: "3HL4kqtJlcpXroDTDmJ" });
    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toEqual({ Bucket: BUCKET, Key: KEY, Body: Buffer.from("file"), ContentType: "application/javascript" });
  });
});
