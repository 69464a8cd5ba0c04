/**
 * Akamai resources of the example dev stack as a plan holds them: the configured arguments of the real
 * synthesized EdgeStack plus what the provider computes (ids, API names, the credential). Secret values
 * are fakes that tests look for in the report, where they must never appear.
 */
import type { ResourceChange } from "../../../../cli/plan-report/plan";
import { exampleEnv, synthEdgeStack } from "../../../helpers/synth";
import { akamaiChange, akamaiObject, configuredArguments, planDocument } from "./akamai-plan";

export const FAKE_SECRETS = {
  clientSecret: "FAKE-client-secret-never-printed",
  clientToken: "akab-FAKE-client-token-never-printed",
  accessToken: "akab-FAKE-access-token-never-printed",
  baseUrl: "https://akab-FAKE-host-never-printed.luna.akamaiapis.net",
};

export const NAMESPACE = { type: "akamai_edgekv", name: "dev_config_staging" } as const;
export const API_CLIENT = { type: "akamai_iam_api_client", name: "purge_api_client" } as const;

export interface DevAkamai {
  stackJson: Record<string, any>;
  namespaceArgs: Record<string, unknown>;
  apiClientArgs: Record<string, unknown>;
  /** The namespace as it is after apply. */
  namespaceState: Record<string, unknown>;
  /** The API client as it is after apply, with its (fake) credential. */
  apiClientState: Record<string, unknown>;
}

let cached: DevAkamai | undefined;

export function devAkamai(): DevAkamai {
  if (cached) return cached;
  const { json } = synthEdgeStack(exampleEnv("dev"));
  const namespaceArgs = configuredArguments(json, NAMESPACE.type, NAMESPACE.name);
  const apiClientArgs = configuredArguments(json, API_CLIENT.type, API_CLIENT.name);
  const namespaceState = akamaiObject(NAMESPACE.type, {
    ...namespaceArgs,
    id: `${namespaceArgs.namespace_name}:${namespaceArgs.network}`,
  });
  const args = apiClientArgs as Record<string, any>;
  const apiClientState = akamaiObject(API_CLIENT.type, {
    ...args,
    id: "fakeclientid1234",
    client_id: "fakeclientid1234",
    access_token: FAKE_SECRETS.accessToken,
    base_url: FAKE_SECRETS.baseUrl,
    created_by: "edgeplane-automation",
    created_date: "2026-01-05T10:00:00.000Z",
    active_credential_count: 1,
    allow_account_switch: false,
    can_auto_create_credential: false,
    lock: false,
    actions: {
      deactivate_all: true,
      delete: true,
      edit: true,
      edit_apis: true,
      edit_auth: true,
      edit_groups: true,
      edit_ip_acl: true,
      edit_switch_account: false,
      lock: true,
      transfer: true,
      unlock: false,
    },
    api_access: {
      ...args.api_access,
      apis: (args.api_access.apis as Array<Record<string, unknown>>).map((api) => ({
        ...api,
        api_name: `API ${api.api_id}`,
        description: "",
        documentation_url: "https://techdocs.akamai.com/",
        endpoint: `/api-${api.api_id}`,
      })),
    },
    group_access: {
      ...args.group_access,
      groups: (args.group_access.groups as Array<Record<string, unknown>>).map((g) => ({
        ...g,
        group_name: "Example group",
        is_blocked: false,
        parent_group_id: 0,
        role_name: "Purge",
        role_description: "",
        sub_groups: [],
      })),
    },
    credential: {
      ...args.credential,
      credential_id: 987654,
      created_on: "2026-01-05T10:00:00.000Z",
      expires_on: "2028-01-05T10:00:00.000Z",
      status: "ACTIVE",
      client_secret: FAKE_SECRETS.clientSecret,
      client_token: FAKE_SECRETS.clientToken,
      actions: { activate: false, deactivate: true, delete: false, edit_description: true, edit_expiration: true },
    },
  });
  cached = { stackJson: json, namespaceArgs, apiClientArgs, namespaceState, apiClientState };
  return cached;
}

/** `terraform show -json` of a plan with these akamai changes, configured as the dev stack is. */
export function devPlan(changes: ResourceChange[]): Record<string, unknown> {
  const dev = devAkamai();
  const configured = [
    { ...NAMESPACE, arguments: dev.namespaceArgs },
    { ...API_CLIENT, arguments: dev.apiClientArgs },
  ].filter((r) => !changes.some((c) => c.type === r.type && c.name === r.name && c.change.actions.join() === "delete"));
  return planDocument(changes, configured);
}

export const namespaceDestroyed = (): ResourceChange =>
  akamaiChange({
    ...NAMESPACE,
    actions: ["delete"],
    before: devAkamai().namespaceState,
    after: null,
    actionReason: "delete_because_no_resource_config",
  });

export const namespaceRetentionChanged = (): ResourceChange => {
  const before = devAkamai().namespaceState;
  return akamaiChange({ ...NAMESPACE, actions: ["update"], before, after: { ...before, retention_in_seconds: 86_400 } });
};

/** geo_location is ForceNew: a different value replaces the namespace (and empties it). */
export const namespaceReplaced = (): ResourceChange => {
  const after = devAkamai().namespaceState;
  return akamaiChange({
    ...NAMESPACE,
    actions: ["delete", "create"],
    before: { ...after, geo_location: "EU" },
    after: { ...after, id: null },
    afterUnknown: { id: true },
    replacePaths: [["geo_location"]],
    actionReason: "replace_because_cannot_update",
  });
};

export const apiClientEmailsChanged = (): ResourceChange => {
  const before = devAkamai().apiClientState;
  return akamaiChange({
    ...API_CLIENT,
    actions: ["update"],
    before,
    after: { ...before, notification_emails: ["platform-dev@example.com", "oncall@example.com"] },
  });
};

/** The provider has no ForceNew: a replacement comes from `terraform plan -replace=…` (or a taint). */
export const apiClientReplaced = (): ResourceChange => {
  const before = devAkamai().apiClientState as Record<string, any>;
  const after = akamaiObject(API_CLIENT.type, { ...devAkamai().apiClientArgs });
  return akamaiChange({ ...API_CLIENT, actions: ["delete", "create"], before, after, actionReason: "replace_by_request" });
};

export const apiClientDestroyed = (): ResourceChange =>
  akamaiChange({
    ...API_CLIENT,
    actions: ["delete"],
    before: devAkamai().apiClientState,
    after: null,
    actionReason: "delete_because_no_resource_config",
  });
