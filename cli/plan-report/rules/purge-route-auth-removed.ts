import type { GuardRule } from "../rule";
import { changeKind, isRecord } from "../plan";
import { valueAfter } from "../planned-value";

/**
 * A purge API route without AWS_IAM authorization: an existing route losing it, or a new `/purge` or
 * `$default` route created without it. Either lets callers purge without SigV4 credentials.
 */
export const purgeRouteAuthRemoved: GuardRule = {
  id: "purge-route-auth-removed",
  severity: "block",
  message: "A purge route would accept requests without AWS_IAM authorization: anyone who can reach the API could purge.",
  why: "CI purges through SigV4-signed calls so that no Akamai secret leaves AWS; without AWS_IAM the route purges for anyone who finds it.",
  check(change, config) {
    if (change.type !== "aws_apigatewayv2_route" || change.mode !== "managed") return [];
    const kind = changeKind(change.change.actions);
    if (kind !== "create" && kind !== "update" && kind !== "replace") return [];
    const before = isRecord(change.change.before) ? change.change.before : undefined;
    const after = valueAfter(change, config, ["authorization_type"]);
    const routeKey = valueAfter(change, config, ["route_key"]);
    const key =
      routeKey.source !== "unknown" && typeof routeKey.value === "string"
        ? routeKey.value
        : typeof before?.route_key === "string"
          ? before.route_key
          : "(route key unknown)";
    const authAfter = after.source === "unknown" ? "(known after apply)" : JSON.stringify(after.value ?? "NONE");
    if (after.source !== "unknown" && after.value === "AWS_IAM") return [];
    if (before?.authorization_type === "AWS_IAM") return [`route "${key}" loses AWS_IAM authorization (now ${authAfter})`];
    const isPurgeRoute = key === "$default" || key.includes("/purge");
    if (isPurgeRoute && before?.authorization_type === undefined)
      return [`route "${key}" is created with authorization ${authAfter}, not AWS_IAM`];
    return [];
  },
};
