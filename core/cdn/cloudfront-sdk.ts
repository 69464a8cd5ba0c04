/**
 * The CloudFront transport over @aws-sdk/client-cloudfront: sends CreateInvalidation / GetInvalidation and turns
 * SDK errors into answers by name (classifyCloudFront reads them), so nothing is thrown for a service error.
 *
 * Named imports from the package root: with the project's bundler settings (mainFields module, main; the package
 * is sideEffects:false) esbuild keeps only these commands; measured 437,869 bytes minified either way, root or
 * dist-es command paths. The endpoint override AWS_ENDPOINT_URL_CLOUDFRONT is read by the SDK itself: call
 * checkCloudFrontEndpointOverride (cloudfront.ts) before creating the client.
 *
 * Create the client with `maxAttempts: 1`: the runner owns retries (and keeps the CallerReference fixed).
 */
import { type CloudFrontClient, CreateInvalidationCommand, GetInvalidationCommand } from "@aws-sdk/client-cloudfront";
import type { CdnAnswer, CdnTransport, CdnWireRequest } from "./types";

export function cloudFrontTransport(client: Pick<CloudFrontClient, "send">): CdnTransport {
  return async (request: CdnWireRequest): Promise<CdnAnswer> => {
    if (request.kind !== "cloudfront") throw new TypeError(`the cloudfront transport cannot send ${request.kind} requests`);
    try {
      const output =
        request.operation === "CreateInvalidation"
          ? await client.send(new CreateInvalidationCommand(request.input))
          : await client.send(new GetInvalidationCommand(request.input));
      return { kind: "cloudfront", output };
    } catch (error) {
      return sdkErrorAnswer(error);
    }
  };
}

/** An SDK error as an answer: name, message and HTTP status when the service answered (none for network errors). */
export function sdkErrorAnswer(error: unknown): CdnAnswer {
  const record = typeof error === "object" && error !== null ? (error as Record<string, unknown>) : {};
  const name = typeof record.name === "string" && record.name.length > 0 ? record.name : "Error";
  const message = typeof record.message === "string" ? record.message : String(error);
  const metadata = record.$metadata as { httpStatusCode?: unknown } | undefined;
  const httpStatus = typeof metadata?.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
  return { kind: "cloudfrontError", name, message, ...(httpStatus === undefined ? {} : { httpStatus }) };
}
