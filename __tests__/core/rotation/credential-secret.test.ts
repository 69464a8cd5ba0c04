import { parseEdgeGridSecret } from "../../../core/secrets/edgegrid-secret";
import { parseStoredCredential, serializeStoredCredential } from "../../../core/rotation/credential-secret";

const SECRET = "c2VjcmV0LXZhbHVlLW5vdC10by1iZS1zaG93bg==";

describe("the rotating secret's value", () => {
  it("round-trips, and the runtime's parser reads what rotation writes", () => {
    const text = serializeStoredCredential({
      host: "akab-a.luna.akamaiapis.net",
      accessToken: "akab-at",
      clientToken: "akab-ct",
      clientSecret: SECRET,
      credentialId: 77,
    });
    expect(JSON.parse(text)).toEqual({
      host: "akab-a.luna.akamaiapis.net",
      access_token: "akab-at",
      client_token: "akab-ct",
      client_secret: SECRET,
      credential_id: 77,
    });
    expect(parseStoredCredential(text, "s")).toEqual({
      credentials: { host: "akab-a.luna.akamaiapis.net", accessToken: "akab-at", clientToken: "akab-ct", clientSecret: SECRET },
      credentialId: 77,
    });
    expect(parseEdgeGridSecret(text).clientSecret).toBe(SECRET);
  });

  it("reads Terraform's bootstrap shape: https:// host, credential_id as a string or missing", () => {
    const base = {
      host: "https://akab-a.luna.akamaiapis.net",
      access_token: "akab-at",
      client_token: "akab-ct",
      client_secret: SECRET,
    };
    expect(parseStoredCredential(JSON.stringify({ ...base, credential_id: "12345" }), "bootstrap").credentialId).toBe(12345);
    expect(parseStoredCredential(JSON.stringify(base), "bootstrap")).toEqual({
      credentials: { host: base.host, accessToken: "akab-at", clientToken: "akab-ct", clientSecret: SECRET },
    });
  });

  it("names keys, never values, when the value is wrong", () => {
    const bad = JSON.stringify({ host: "h", access_token: "a", client_token: "c", client_secret: "", extra: SECRET });
    expect(() => parseStoredCredential(bad, "the bootstrap secret")).toThrow(/the bootstrap secret is invalid: .*client_secret/);
    try {
      parseStoredCredential(bad, "x");
    } catch (error) {
      expect((error as Error).message).not.toContain(SECRET);
    }
    expect(() => parseStoredCredential(`{"client_secret": "${SECRET}"`, "x")).toThrow(/not valid JSON/);
  });
});
