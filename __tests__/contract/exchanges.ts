/** Collects what crosses the wire between the clients and the sandbox, and checks it against the documents. */
import type { SandboxExchange } from "../../sandbox/server";
import type { OpenApiValidator } from "./openapi-validator";

export interface CheckedExchange {
  /** e.g. "POST /edgekv/v1/tokens → 200". */
  label: string;
  /** The documented operation, e.g. "POST /edgekv/v1/tokens/{tokenName}"; undefined when there is none. */
  operation: string | undefined;
  problems: string[];
}

function isJson(contentType: string | undefined): boolean {
  return /^application\/([a-z.+-]*\+)?json\b/i.test(contentType ?? "");
}

/** The request body as the validator takes it: parsed JSON, a Buffer for other bodies, undefined when empty. */
export function requestBodyOf(exchange: SandboxExchange): unknown {
  const { body, contentType } = exchange.request;
  if (body.length === 0) return undefined;
  if (!isJson(contentType)) return body;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return body;
  }
}

export function checkExchange(
  validator: OpenApiValidator,
  exchange: SandboxExchange,
  side: "both" | "response" = "both",
): CheckedExchange {
  const { request, response } = exchange;
  const problems = [
    ...(side === "both"
      ? validator.checkRequest({
          method: request.method,
          path: request.path,
          query: request.query,
          contentType: request.contentType,
          body: requestBodyOf(exchange),
        })
      : []),
    ...validator.checkResponse({
      method: request.method,
      path: request.path,
      status: response.status,
      contentType: response.contentType,
      body: response.body,
      bodyBytes: response.rawBody.length,
    }),
  ];
  return {
    label: `${request.method} ${request.path} → ${response.status}`,
    operation: validator.findOperation(request.method, request.path)?.name,
    problems,
  };
}
