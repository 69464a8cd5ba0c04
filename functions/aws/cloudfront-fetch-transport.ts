/**
 * The CloudFront transport over fetch (REST-XML API 2020-05-31, SigV4 for service "cloudfront" in us-east-1), for
 * the purge worker: the same contract as core/cdn/cloudfront-sdk.ts without @aws-sdk/client-cloudfront (~170 KiB of
 * the bundle for two operations). Answers have the SDK's shapes, so classifyCloudFront reads them the same way:
 * - success: `{ Invalidation: { Id, Status, CreateTime } }` (+ `Location` for CreateInvalidation);
 * - a service error: its ErrorResponse Code as the name, its Message, the HTTP status;
 * - a network error or timeout, or credentials that cannot be loaded: the error's name, no status.
 *
 *   POST {endpoint}/2020-05-31/distribution/{Id}/invalidation   <InvalidationBatch> → 201 <Invalidation>
 *   GET  {endpoint}/2020-05-31/distribution/{Id}/invalidation/{InvalidationId}     → 200 <Invalidation>
 *
 * The endpoint honours AWS_ENDPOINT_URL_CLOUDFRONT / AWS_ENDPOINT_URL as the SDK does, loopback sandbox only
 * (cloudFrontApiBaseUrl). Nothing is retried here: the runner owns retries and keeps the CallerReference fixed.
 */
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { cloudFrontApiBaseUrl } from "../../core/cdn/cloudfront";
import { DEFAULT_CDN_TIMEOUT_MS } from "../../core/cdn/fetch-transport";
import type { CdnAnswer, CdnTransport, CdnWireRequest } from "../../core/cdn/types";
import { child, el, parseXml, type XmlElement } from "../../core/xml";

export const CLOUDFRONT_API_VERSION = "2020-05-31";
export const CLOUDFRONT_XMLNS = `http://cloudfront.amazonaws.com/doc/${CLOUDFRONT_API_VERSION}/`;
/** CloudFront's API is global and signed for us-east-1, whatever the function's region. */
const SIGNING_REGION = "us-east-1";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface CloudFrontFetchTransportOptions {
  /** The worker passes defaultProvider() from @aws-sdk/credential-provider-node (env-only in the Lambda bundle). */
  credentials: () => Promise<AwsCredentials>;
  /** For the endpoint overrides. Default process.env. */
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The InvalidationBatch body of CreateInvalidation. */
export function invalidationBatchXml(callerReference: string, items: readonly string[]): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<InvalidationBatch xmlns="${CLOUDFRONT_XMLNS}">` +
    el("Paths", [
      el("Quantity", items.length),
      el(
        "Items",
        items.map((item) => el("Path", item)),
      ),
    ]) +
    el("CallerReference", callerReference) +
    "</InvalidationBatch>"
  );
}

const textOf = (parent: XmlElement, name: string): string | undefined => child(parent, name)?.text;

/** A 2xx body: `<Invalidation>` with its Id, Status and CreateTime (what classify and the status follow-up read). */
export function readInvalidationXml(body: string): { Invalidation: { Id?: string; Status?: string; CreateTime?: Date } } {
  const root = parseXml(body);
  if (root.name !== "Invalidation") throw new SyntaxError(`expected an Invalidation document, got <${root.name}>`);
  const id = textOf(root, "Id");
  const status = textOf(root, "Status");
  const created = textOf(root, "CreateTime");
  return {
    Invalidation: {
      ...(id === undefined ? {} : { Id: id }),
      ...(status === undefined ? {} : { Status: status }),
      ...(created === undefined ? {} : { CreateTime: new Date(created) }),
    },
  };
}

/** An error body: `<ErrorResponse><Error><Code/><Message/></Error></ErrorResponse>`; undefined if it is not one. */
export function readErrorXml(body: string): { code: string; message: string } | undefined {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch {
    return undefined;
  }
  const error = root.name === "ErrorResponse" ? child(root, "Error") : root.name === "Error" ? root : undefined;
  const code = error === undefined ? undefined : textOf(error, "Code")?.trim();
  if (error === undefined || code === undefined || code === "") return undefined;
  return { code, message: textOf(error, "Message") ?? "" };
}

function thrownAnswer(error: unknown): CdnAnswer {
  const name = error instanceof Error && error.name.length > 0 ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "cloudfrontError", name, message };
}

export function cloudFrontFetchTransport(options: CloudFrontFetchTransportOptions): CdnTransport {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CDN_TIMEOUT_MS;
  const baseUrl = cloudFrontApiBaseUrl(options.env ?? process.env);
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: SIGNING_REGION,
    service: "cloudfront",
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: true,
    applyChecksum: false,
  });

  return async (request: CdnWireRequest): Promise<CdnAnswer> => {
    if (request.kind !== "cloudfront") throw new TypeError(`the cloudfront transport cannot send ${request.kind} requests`);
    const distribution = encodeURIComponent(request.input.DistributionId);
    let method: "POST" | "GET";
    let path: string;
    let body: string | undefined;
    if (request.operation === "CreateInvalidation") {
      const batch = request.input.InvalidationBatch;
      if (batch.Paths.Quantity !== batch.Paths.Items.length) {
        throw new TypeError(`InvalidationBatch Paths.Quantity is ${batch.Paths.Quantity} for ${batch.Paths.Items.length} items`);
      }
      method = "POST";
      path = `/${CLOUDFRONT_API_VERSION}/distribution/${distribution}/invalidation`;
      body = invalidationBatchXml(batch.CallerReference, batch.Paths.Items);
    } else {
      method = "GET";
      path = `/${CLOUDFRONT_API_VERSION}/distribution/${distribution}/invalidation/${encodeURIComponent(request.input.Id)}`;
    }
    const url = new URL(baseUrl + path);
    const headers: Record<string, string> = { host: url.host };
    if (body !== undefined) headers["content-type"] = "application/xml";

    let response: Response;
    let text: string;
    try {
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port === "" ? {} : { port: Number(url.port) }),
        path: url.pathname,
        query: {},
        headers,
        ...(body === undefined ? {} : { body }),
      });
      // fetch sets Host itself (the same url.host that was signed).
      const { host: _host, ...sent } = signed.headers;
      response = await doFetch(url, {
        method,
        headers: sent,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      if (error instanceof Error && error.name === "TimeoutError") {
        return {
          kind: "cloudfrontError",
          name: "TimeoutError",
          message: `${method} ${url.origin}${url.pathname}: no answer within ${timeoutMs} ms`,
        };
      }
      return thrownAnswer(error);
    }

    if (response.status >= 200 && response.status < 300) {
      // The service took the request. An answer that is not an Invalidation document reads as one without an id
      // (classifyCloudFront: done, id unknown) or without a status (readInvalidationStatus: malformedResponse).
      let output: Record<string, unknown>;
      try {
        output = readInvalidationXml(text);
      } catch {
        output = {};
      }
      const location = response.headers.get("location");
      if (request.operation === "CreateInvalidation" && location !== null) output.Location = location;
      return { kind: "cloudfront", output };
    }
    const error = readErrorXml(text);
    return error === undefined
      ? {
          kind: "cloudfrontError",
          name: "UnknownError",
          message: `HTTP ${response.status} without a CloudFront ErrorResponse`,
          httpStatus: response.status,
        }
      : { kind: "cloudfrontError", name: error.code, message: error.message, httpStatus: response.status };
  };
}
