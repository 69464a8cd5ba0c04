import fc from "fast-check";
import type { ApiCredential } from "../../../core/akamai/iam-credentials";
import { planCredentialCleanup, type CleanupPlanInput } from "../../../core/rotation/cleanup";

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1);
const GRACE = 7 * DAY;
const TF = 1;

function credential(id: number, status: string, createdDaysAgo: number, expiresInDays: number): ApiCredential {
  return {
    credentialId: id,
    clientToken: `akab-${id}`,
    createdOn: new Date(NOW - createdDaysAgo * DAY).toISOString(),
    expiresOn: new Date(NOW + expiresInDays * DAY).toISOString(),
    status,
    description: `credential ${id}`,
  };
}

const plan = (credentials: ApiCredential[], overrides: Partial<CleanupPlanInput> = {}) =>
  planCredentialCleanup({
    credentials,
    keep: new Set([10, 11]),
    terraformCredentialId: TF,
    nowMs: NOW,
    graceMs: GRACE,
    deactivate: true,
    ...overrides,
  });

describe("planCredentialCleanup", () => {
  it("keeps current and previous, deactivates the rest with the grace period in expiresOn", () => {
    expect(
      plan([
        credential(10, "ACTIVE", 30, 700),
        credential(11, "ACTIVE", 60, 600),
        credential(12, "ACTIVE", 1, 729),
        credential(TF, "ACTIVE", 400, 300),
      ]),
    ).toEqual([
      { kind: "deactivate", credentialId: TF, expiresOn: new Date(NOW + GRACE), description: "credential 1" },
      { kind: "deactivate", credentialId: 12, expiresOn: new Date(NOW + GRACE), description: "credential 12" },
    ]);
  });

  it("deactivates a credential expiring within the grace period without touching its expiry", () => {
    expect(plan([credential(12, "ACTIVE", 700, 3)])).toEqual([
      { kind: "deactivate", credentialId: 12, description: "credential 12" },
    ]);
  });

  it("deletes INACTIVE credentials only once expired and older than the grace period, never Terraform's", () => {
    expect(
      plan([
        credential(TF, "INACTIVE", 900, -30),
        credential(12, "INACTIVE", 60, -1), // due
        credential(13, "INACTIVE", 60, 3), // waiting out its grace period
        credential(14, "INACTIVE", 3, -1), // expired but younger than the grace period
        credential(15, "INACTIVE", 60, 300), // deactivated by someone else: the grace period starts now
        credential(16, "DELETED", 60, -10),
        credential(17, "SOMETHING_NEW", 60, -10),
      ]),
    ).toEqual([
      { kind: "delete", credentialId: 12 },
      { kind: "scheduleDeletion", credentialId: 15, expiresOn: new Date(NOW + GRACE), description: "credential 15" },
    ]);
  });

  it("only deletes what is due when asked not to deactivate (the pass before creating a credential)", () => {
    expect(
      plan([credential(12, "ACTIVE", 1, 700), credential(13, "INACTIVE", 60, -1), credential(14, "INACTIVE", 60, 300)], {
        deactivate: false,
      }),
    ).toEqual([{ kind: "delete", credentialId: 13 }]);
  });

  it("never touches keep, never deletes Terraform's or an ACTIVE credential, and a second run deletes nothing the first deactivated", () => {
    const arbitraryCredential = fc.record({
      credentialId: fc.integer({ min: 1, max: 30 }),
      status: fc.constantFrom("ACTIVE", "INACTIVE", "DELETED", "OTHER"),
      createdDaysAgo: fc.integer({ min: 0, max: 800 }),
      expiresInDays: fc.integer({ min: -100, max: 800 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(arbitraryCredential, { selector: (c) => c.credentialId, maxLength: 12 }),
        fc.subarray([1, 2, 3, 4, 5]),
        fc.boolean(),
        (specs, keepIds, deactivate) => {
          const credentials = specs.map((s) => credential(s.credentialId, s.status, s.createdDaysAgo, s.expiresInDays));
          const keep = new Set(keepIds);
          const actions = plan(credentials, { keep, deactivate });
          const byId = new Map(credentials.map((c) => [c.credentialId, c]));
          for (const action of actions) {
            const target = byId.get(action.credentialId) as ApiCredential;
            expect(keep.has(action.credentialId)).toBe(false);
            if (action.kind === "delete") {
              expect(action.credentialId).not.toBe(TF);
              expect(target.status).toBe("INACTIVE");
              expect(Date.parse(target.expiresOn)).toBeLessThanOrEqual(NOW);
              expect(Date.parse(target.createdOn)).toBeLessThanOrEqual(NOW - GRACE);
            } else {
              expect(deactivate).toBe(true);
              if (action.expiresOn) expect(action.expiresOn.getTime()).toBeLessThan(Date.parse(target.expiresOn));
            }
          }
          // Apply the plan and plan again at the same time: nothing new is deleted.
          const after = credentials
            .filter((c) => !actions.some((a) => a.kind === "delete" && a.credentialId === c.credentialId))
            .map((c) => {
              const action = actions.find((a) => a.credentialId === c.credentialId);
              if (!action || action.kind === "delete") return c;
              return { ...c, status: "INACTIVE", ...(action.expiresOn ? { expiresOn: action.expiresOn.toISOString() } : {}) };
            });
          const again = plan(after, { keep, deactivate });
          const newlyDeleted = again.filter(
            (a) =>
              a.kind === "delete" && actions.some((b) => b.kind !== "delete" && b.credentialId === a.credentialId && b.expiresOn),
          );
          expect(newlyDeleted).toEqual([]);
        },
      ),
    );
  });
});
