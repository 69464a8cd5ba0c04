import { DeclaredTokensError, parseDeclaredTokens } from "../../../core/tokens/declared";
import { declaredToken } from "./helpers";

const json = (value: unknown) => JSON.stringify(value);

describe("parseDeclaredTokens", () => {
  it("reads the declared tokens the stack hands over", () => {
    const declared = [
      declaredToken({ edgeWorkerIds: [4242], deployTo: { edgeWorkerId: 4242, activateOnProduction: true } }),
      declaredToken({ namePrefix: "other" }),
    ];
    expect(parseDeclaredTokens(json(declared))).toEqual(declared);
  });

  it("names the variable, index and field of what is wrong, and what is allowed", () => {
    const bad = (overrides: Record<string, unknown>) => () =>
      parseDeclaredTokens(json([{ ...declaredToken(), ...overrides }]), "VAR");
    expect(bad({ namespacePermissions: { site_config: ["x"] } })).toThrow(
      'VAR is invalid: [0].namespacePermissions.site_config[0]: must be "r", "w" or "d"',
    );
    expect(bad({ namespacePermissions: { site_config: [] } })).toThrow(
      "VAR is invalid: [0].namespacePermissions.site_config: must list 1-3 permissions",
    );
    expect(bad({ edgeWorkerIds: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toThrow(
      "VAR is invalid: [0].edgeWorkerIds: must hold at most 8 EdgeWorker ids",
    );
    expect(bad({ edgeWorkerIds: [1.5] })).toThrow("VAR is invalid: [0].edgeWorkerIds[0]: must be a whole number");
    expect(bad({ deployTo: { edgeWorkerId: 0, activateOnProduction: true } })).toThrow(
      "VAR is invalid: [0].deployTo.edgeWorkerId: must be a positive whole number",
    );
    expect(bad({ deployTo: { edgeWorkerId: 1, activateOnProduction: true, extra: 1 } })).toThrow(
      "VAR is invalid: [0].deployTo: unknown field(s) extra",
    );
    expect(bad({ allowOnStaging: "yes" })).toThrow("VAR is invalid: [0].allowOnStaging: must be true or false");
    expect(() => parseDeclaredTokens(json({}), "VAR")).toThrow("VAR is invalid: (list): must be a list");
    expect(() => parseDeclaredTokens("{", "VAR")).toThrow(new DeclaredTokensError("VAR is not JSON"));
    expect(() => parseDeclaredTokens(json([declaredToken(), declaredToken()]), "VAR")).toThrow(
      'VAR: namePrefix "site-ro" is declared twice',
    );
  });
});
