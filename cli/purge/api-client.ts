/**
 * The environment's purge API (API Gateway HTTP API, AWS_IAM auth): requests signed with SigV4 for the
 * service "execute-api" in the environment's region, with credentials from the AWS SDK's default chain
 * (environment, SSO, web identity — so GitHub OIDC works —, shared files, instance/container metadata).
 *
 * Errors name the method and path only; signatures, credentials and response bodies are never put in them.
 */
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import http from "node:http";
import https from "node:https";
import { INSECURE_LOOPBACK_ENV } from "../../core/edgegrid/host-safety";
import type { PurgeApiRequest } from "../../core/jobs/purge-api-contract";
import { CommandError } from "../io";

export const PURGE_API_URL_ENV = "EDGEPLANE_PURGE_API_URL";
const DEFAULT_TIMEOUT_MS = 30_000;

/** Checks the API URL: https anywhere, or plain http to loopback when EDGEPLANE_INSECURE_LOOPBACK=1. */
export function resolvePurgeApiUrl(text: string, env: Record<string, string | undefined>, source: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new CommandError(
      `${source} is not a URL; expected the stack output purge_api_url, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com`,
    );
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new CommandError(`${source} must not carry user info, a query or a fragment; expected the stack output purge_api_url`);
  }
  if (url.protocol === "https:") return url;
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost";
  if (url.protocol === "http:" && loopback && env[INSECURE_LOOPBACK_ENV] === "1") return url;
  throw new CommandError(
    `${source} must be an https:// URL (plain http is allowed only to 127.0.0.1/localhost with ${INSECURE_LOOPBACK_ENV}=1)`,
  );
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** No answer (connection refused, reset, timeout). `retryable` for GETs; a POST may have been received. */
export class ApiNetworkError extends Error {
  override name = "ApiNetworkError";
  readonly retryable = true;
}

/** Static AWS credentials or a provider (e.g. defaultProvider() from @aws-sdk/credential-provider-node). */
export type AwsCredentialsInput = ConstructorParameters<typeof SignatureV4>[0]["credentials"];

export interface PurgeApiClientOptions {
  baseUrl: URL;
  region: string;
  credentials: AwsCredentialsInput;
  timeoutMs?: number;
}

export class PurgeApiClient {
  private readonly signer: SignatureV4;
  private readonly agent: http.Agent;
  private readonly prefix: string;

  constructor(private readonly options: PurgeApiClientOptions) {
    this.signer = new SignatureV4({
      credentials: options.credentials,
      region: options.region,
      service: "execute-api",
      sha256: Hash.bind(null, "sha256"),
    });
    const agentOptions = { keepAlive: true, maxSockets: 4 };
    this.agent = options.baseUrl.protocol === "https:" ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.prefix = options.baseUrl.pathname.replace(/\/+$/, "");
  }

  close(): void {
    this.agent.destroy();
  }

  submit(body: PurgeApiRequest): Promise<ApiResponse> {
    return this.request("POST", "/purge", JSON.stringify(body));
  }

  job(jobId: string): Promise<ApiResponse> {
    return this.request("GET", `/purge/${encodeURIComponent(jobId)}`);
  }

  async request(method: "GET" | "POST", path: string, body?: string): Promise<ApiResponse> {
    const { baseUrl } = this.options;
    const fullPath = `${this.prefix}${path}`;
    const headers: Record<string, string> = { host: baseUrl.host, accept: "application/json" };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(body, "utf8"));
    }
    const unsigned = new HttpRequest({
      method,
      protocol: baseUrl.protocol,
      hostname: baseUrl.hostname,
      ...(baseUrl.port ? { port: Number(baseUrl.port) } : {}),
      path: fullPath,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    let signed: HttpRequest;
    try {
      signed = (await this.signer.sign(unsigned)) as HttpRequest;
    } catch (error) {
      throw new CommandError(credentialProblem(error));
    }
    return this.send(method, fullPath, signed.headers, body);
  }

  private send(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<ApiResponse> {
    const { baseUrl } = this.options;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const send = baseUrl.protocol === "https:" ? https.request : http.request;
    return new Promise<ApiResponse>((resolve, reject) => {
      const url = new URL(path, baseUrl.origin);
      const req = send(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", () => reject(new ApiNetworkError(`${method} ${path}: connection lost while reading the response`)));
        res.on("end", () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          if (text.length > 0) {
            try {
              parsed = JSON.parse(text);
            } catch {
              // keep the text; callers show at most a short excerpt
            }
          } else {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new ApiNetworkError(`${method} ${path}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ApiNetworkError(`${method} ${path} failed: ${error.code ?? "network error"}`));
      });
      req.end(body);
    });
  }
}

/** Why no request could be signed, without any credential value. */
function credentialProblem(error: unknown): string {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  const known =
    name === "CredentialsProviderError" || /credential/i.test(message)
      ? message.split("\n")[0]?.slice(0, 300)
      : `${name} while reading AWS credentials`;
  return (
    `cannot sign the purge API request: no usable AWS credentials (${known}). The SDK credential chain is used: ` +
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN), AWS_PROFILE or SSO, web identity " +
    "(GitHub OIDC: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, as aws-actions/configure-aws-credentials sets up), " +
    "or instance/container metadata. The role needs execute-api:Invoke on the environment's purge routes (stack output ci_role_arn)."
  );
}

/** A short, printable excerpt of an API answer's error (API Gateway: {message}; purge-api: {error, message, ...}). */
export function apiErrorText(body: unknown): string {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const parts = ["error", "message", "detail", "reason"]
      .map((key) => record[key])
      .filter((v): v is string => typeof v === "string" && v.length > 0);
    const unique = [...new Set(parts)];
    if (Array.isArray(record.errors)) {
      for (const item of record.errors.slice(0, 20)) {
        unique.push(typeof item === "string" ? item : JSON.stringify(item));
      }
    }
    if (unique.length > 0) return truncate(unique.join("; "));
    return truncate(JSON.stringify(body));
  }
  if (typeof body === "string" && body.trim().length > 0) return truncate(body.trim());
  return "no details in the answer";
}

function truncate(text: string): string {
  return text.length > 1000 ? `${text.slice(0, 1000)}...` : text;
}
