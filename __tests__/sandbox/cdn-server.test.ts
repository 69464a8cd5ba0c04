/** The pieces the CDN emulators share: the loopback server (host check, faults, records) and the XML reader. */
import { startLoopbackServer } from "../../sandbox/cdn-server";
import type { EmulatorRequestRecord } from "../../sandbox/cdn-server";
import { startFastlyEmulator } from "../../sandbox/fastly";
import { child, el, parseXml } from "../../core/xml";

describe("startLoopbackServer", () => {
  it("listens only on loopback", async () => {
    await expect(
      startLoopbackServer({
        host: "0.0.0.0",
        now: Date.now,
        requests: [],
        handle: () => ({ status: 200 }),
        faultResponse: () => ({ status: 500 }),
      }),
    ).rejects.toThrow('the emulators only listen on loopback (127.0.0.1 or localhost), got host "0.0.0.0"');
  });

  it("applies faults per path prefix, counts them down, records every request and passes the raw target", async () => {
    const requests: EmulatorRequestRecord[] = [];
    const targets: string[] = [];
    const server = await startLoopbackServer({
      now: Date.now,
      requests,
      faults: [{ pathPrefix: "/b", status: 500, times: 2 }],
      handle: (request) => {
        targets.push(request.target);
        return { status: 200, body: { ok: true } };
      },
      faultResponse: (fault) => ({ status: fault.status, body: { injected: true } }),
    });
    try {
      const statuses: number[] = [];
      for (const path of ["/a?x=%20y", "/b/1", "/b/2", "/b/3"]) statuses.push((await fetch(`${server.url}${path}`)).status);
      expect(statuses).toEqual([200, 500, 500, 200]);
      expect(targets).toEqual(["/a?x=%20y", "/b/3"]);
      expect(requests).toEqual([
        { method: "GET", path: "/a", status: 200 },
        { method: "GET", path: "/b/1", status: 500, fault: "status=500" },
        { method: "GET", path: "/b/2", status: 500, fault: "status=500" },
        { method: "GET", path: "/b/3", status: 200 },
      ]);
      expect(server.pendingFaults()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("records a delayed request whose client gave up as dropped, without handling it", async () => {
    const emulator = await startFastlyEmulator({ services: [{ id: "s" }], tokens: [], faults: [{ delayMs: 300 }] });
    try {
      await expect(
        fetch(`${emulator.url}/purge/www.example.com/x`, { method: "POST", signal: AbortSignal.timeout(50) }),
      ).rejects.toThrow();
      // Wait for the delay to run out on the server side.
      for (let i = 0; i < 50 && emulator.state.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(emulator.state.requests).toEqual([
        { method: "POST", path: "/purge/www.example.com/x", status: "dropped", fault: "delayMs=300 (client left)" },
      ]);
      expect(emulator.state.purges).toEqual([]);
    } finally {
      await emulator.close();
    }
  });
});

describe("parseXml", () => {
  it("reads elements, namespaces prefixes, entities and character references", () => {
    const doc = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<a:InvalidationBatch xmlns:a="urn:x"><a:Paths><Quantity>2</Quantity><Items>' +
        "<Path>/q?x=1&amp;y=&lt;2&gt;</Path><Path>/&#233;&#x41;</Path></Items></a:Paths><!-- note --><CallerReference>r</CallerReference><Empty/></a:InvalidationBatch>",
    );
    expect(doc.name).toBe("InvalidationBatch");
    const paths = child(doc, "Paths");
    expect(child(paths!, "Quantity")?.text).toBe("2");
    expect(child(paths!, "Items")?.children.map((p) => p.text)).toEqual(["/q?x=1&y=<2>", "/éA"]);
    expect(child(doc, "Empty")).toEqual({ name: "Empty", children: [], text: "" });
  });

  it.each([
    ["<a><b></a>", /unexpected <\/a>/],
    ["<a>x & y</a>", /bare &/],
    ["<a>&nbsp;</a>", /unknown entity &nbsp;/],
    ["<a></a><b></b>", /more than one root/],
    ["<a>", /unterminated/],
    ["text<a></a>", /text outside the root/],
    ["", /unterminated/],
  ])("refuses %j", (text, message) => {
    expect(() => parseXml(text)).toThrow(message);
  });

  it("writes escaped text that it reads back", () => {
    const text = `a&b<c>"d'`;
    expect(parseXml(el("X", [el("Y", text)])).children[0]?.text).toBe(text);
  });
});
