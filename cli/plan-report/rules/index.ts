/** Every guard rule plan-report applies, in the order findings are listed. One rule per file. */
import type { GuardRule } from "../rule";
import { apiClientReplaced } from "./api-client-replaced";
import { edgekvNamespaceDestroyed } from "./edgekv-namespace-destroyed";
import { iamPolicyActionsAdded } from "./iam-policy-actions-added";
import { iamPolicyWildcard } from "./iam-policy-wildcard";
import { productionPurgeAllowed } from "./production-purge-allowed";
import { purgeRouteAuthRemoved } from "./purge-route-auth-removed";
import { secretOrKeyDeleted } from "./secret-or-key-deleted";

export const RULES: readonly GuardRule[] = [
  edgekvNamespaceDestroyed,
  apiClientReplaced,
  secretOrKeyDeleted,
  iamPolicyWildcard,
  iamPolicyActionsAdded,
  purgeRouteAuthRemoved,
  productionPurgeAllowed,
];
