/** `npm run sandbox` with the CDN emulators: the printout's credentials and env lines work against them; --only starts one alone. */
import { CloudFrontClient, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { main, parseMainOptions, type RunningSandboxes } from "../../sandbox/main";

/** NAME=value of every `export` line. */
function exportsOf(output: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of output.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) found[m[1] as string] = m[2] as string;
  return found;
}

describe("parseMainOptions: --only and --cloudflare-plan", () => {
  it("reads repeatable, comma-separated names and the plan", () => {
    expect(parseMainOptions(["--only", "fastly,cloudfront", "--only=fastly", "--cloudflare-plan", "enterprise"], {})).toEqual({
      port: 0,
      timeScale: 1,
      only: ["fastly", "cloudfront"],
      cloudflarePlan: "enterprise",
    });
  });

  it.each([
    [["--only", "azure"], /--only takes akamai, fastly, cloudflare, cloudfront \(repeatable, or comma-separated\), got "azure"/],
    [["--cloudflare-plan", "gold"], /--cloudflare-plan must be free, pro, business or enterprise, got "gold"/],
    [["--only", "fastly", "--edgerc-out", "/tmp/x"], /--edgerc-out needs the Akamai sandbox/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseMainOptions(argv, {})).toThrow(message);
  });
});

describe("main with the CDN emulators", () => {
  let running: RunningSandboxes | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("starts all four and prints throwaway credentials whose env lines reach each emulator", async () => {
    let output = "";
    running = await main(["--cloudflare-plan", "business"], {}, (text) => (output += text));
    const { fastly, cloudflare, cloudfront } = running.cdns;
    if (!fastly || !cloudflare || !cloudfront || !running.akamai) throw new Error("expected all four emulators");
    const env = exportsOf(output);
    expect(Object.keys(env).sort()).toEqual(
      [
        "AWS_ACCESS_KEY_ID",
        "AWS_ENDPOINT_URL_CLOUDFRONT",
        "AWS_ENDPOINT_URL_STS",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "CLOUDFLARE_API_TOKEN",
        "EDGEPLANE_CLOUDFLARE_API_URL",
        "EDGEPLANE_FASTLY_API_URL",
        "EDGEPLANE_INSECURE_LOOPBACK",
        "FASTLY_API_TOKEN",
      ].sort(),
    );
    expect(output).toMatch(/Throwaway CDN credentials/);
    expect(output).toContain(`[sandbox]\nhost = ${running.url}`);
    const ids = running.cdns.credentials;
    expect(output).toContain(`service ${ids.fastly.serviceId}`);
    expect(output).toContain(`zone ${ids.cloudflare.zoneId} (plan business)`);
    expect(output).toContain(`distribution ${ids.cloudfront.distributionId}`);

    const self = await fetch(`${env.EDGEPLANE_FASTLY_API_URL}/tokens/self`, {
      headers: { "Fastly-Key": env.FASTLY_API_TOKEN as string },
    });
    expect(await self.json()).toMatchObject({ scope: "purge_select purge_all", services: [ids.fastly.serviceId] });
    const keyPurge = await fetch(`${env.EDGEPLANE_FASTLY_API_URL}/service/${ids.fastly.serviceId}/purge/k1`, {
      method: "POST",
      headers: { "Fastly-Key": env.FASTLY_API_TOKEN as string },
    });
    expect(keyPurge.status).toBe(200);

    const bearer = { Authorization: `Bearer ${env.CLOUDFLARE_API_TOKEN}` };
    expect(
      await (await fetch(`${env.EDGEPLANE_CLOUDFLARE_API_URL}/user/tokens/verify`, { headers: bearer })).json(),
    ).toMatchObject({ result: { status: "active" } });
    const tagPurge = await fetch(`${env.EDGEPLANE_CLOUDFLARE_API_URL}/zones/${ids.cloudflare.zoneId}/purge_cache`, {
      method: "POST",
      headers: { ...bearer, "Content-Type": "application/json" },
      body: JSON.stringify({ tags: ["t1"] }),
    });
    expect(await tagPurge.json()).toMatchObject({ success: true });

    const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID as string, secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string };
    const cf = new CloudFrontClient({
      endpoint: env.AWS_ENDPOINT_URL_CLOUDFRONT as string,
      region: env.AWS_REGION as string,
      credentials,
      maxAttempts: 1,
    });
    const sts = new STSClient({
      endpoint: env.AWS_ENDPOINT_URL_STS as string,
      region: env.AWS_REGION as string,
      credentials,
      maxAttempts: 1,
    });
    try {
      const created = await cf.send(
        new CreateInvalidationCommand({
          DistributionId: ids.cloudfront.distributionId,
          InvalidationBatch: { CallerReference: "main", Paths: { Quantity: 1, Items: ["/x"] } },
        }),
      );
      expect(created.Invalidation?.Status).toBe("InProgress");
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(ids.cloudfront.accountId);
    } finally {
      cf.destroy();
      sts.destroy();
    }
    expect(fastly.state.purges).toHaveLength(1);
    expect(cloudflare.state.purges).toHaveLength(1);
    expect(cloudfront.state.invalidations).toHaveLength(1);
  });

  it("starts one emulator alone with --only, printing only its lines", async () => {
    let output = "";
    running = await main(["--only", "cloudfront"], {}, (text) => (output += text));
    expect(running.akamai).toBeUndefined();
    expect(running.url).toBeUndefined();
    expect(running.cdns.fastly).toBeUndefined();
    expect(running.cdns.cloudflare).toBeUndefined();
    expect(running.cdns.cloudfront?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(output).toMatch(/^edgeplane sandbox: cloudfront emulator\(s\) only/);
    expect(output).not.toContain("[sandbox]");
    expect(Object.keys(exportsOf(output)).sort()).toEqual([
      "AWS_ACCESS_KEY_ID",
      "AWS_ENDPOINT_URL_CLOUDFRONT",
      "AWS_ENDPOINT_URL_STS",
      "AWS_REGION",
      "AWS_SECRET_ACCESS_KEY",
      "EDGEPLANE_INSECURE_LOOPBACK",
    ]);
  });
});
