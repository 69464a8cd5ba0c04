/** A scripted AkamaiHttp: answers each request with the next canned response and records the requests. */
import type { AkamaiHttp } from "../../../core/akamai/api-error";
import type { EdgeGridRequest, EdgeGridResponse } from "../../../core/edgegrid/transport";
import { script } from "../../helpers/scripted";

export function answer(status: number, body?: unknown, headers: Record<string, string> = {}): EdgeGridResponse {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const json = body !== undefined && typeof body !== "string";
  return {
    status,
    headers: { ...(json ? { "content-type": status >= 400 ? "application/problem+json" : "application/json" } : {}), ...headers },
    body,
    rawBody: Buffer.from(text),
  };
}

export interface ScriptedHttp extends AkamaiHttp {
  requests: EdgeGridRequest[];
}

export function scriptedHttp(...responses: EdgeGridResponse[]): ScriptedHttp {
  const answers = script<EdgeGridRequest, EdgeGridResponse>(responses);
  return { requests: answers.calls, request: (req) => answers.answer(req, (r) => `${r.method} ${r.path}`) };
}
