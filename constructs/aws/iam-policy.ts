/**
 * IAM policy documents as plain data, so every statement can be checked (no `*` actions, resources are
 * ARNs) before it is written. ARNs may be Terraform references; cdktf resolves them inside the JSON text.
 */
export interface PolicyStatement {
  sid: string;
  actions: string[];
  resources: string[];
  /** @default none */
  conditions?: Record<string, Record<string, string | string[]>>;
}

export function policyDocument(statements: PolicyStatement[]): string {
  for (const s of statements) assertLeastPrivilege(s);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: "Allow",
      Action: s.actions,
      Resource: s.resources,
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

export function assumeRolePolicy(service: string, conditions?: PolicyStatement["conditions"]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(conditions ? { Condition: conditions } : {}),
      },
    ],
  });
}

function assertLeastPrivilege(s: PolicyStatement): void {
  if (s.actions.length === 0 || s.resources.length === 0) {
    throw new Error(`policy statement ${s.sid} needs at least one action and one resource`);
  }
  for (const action of s.actions) {
    if (action.includes("*"))
      throw new Error(`policy statement ${s.sid}: wildcard action "${action}" is not allowed; list the actions used`);
  }
  for (const resource of s.resources) {
    if (resource === "*") throw new Error(`policy statement ${s.sid}: resource "*" is not allowed; name the ARNs used`);
  }
}
