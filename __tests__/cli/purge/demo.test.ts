/** `npm run demo`: the sample set goes through the direct client path to the sandbox and back. */
import { runDemo } from "../../../sandbox/demo";

test("purges the sample set, prints the purge IDs, and every object arrives exactly once", async () => {
  let output = "";
  const ok = await runDemo((text) => {
    output += text;
  });
  expect(ok).toBe(true);
  expect(output).toMatch(/^url: 300 object\(s\), 1 request\(s\)$/m);
  expect(output).toMatch(/^tag: 25 object\(s\), 1 request\(s\)$/m);
  expect(output).toMatch(/^cpcode: 1 object\(s\), 1 request\(s\)$/m);
  expect(output.match(/^ {2}purgeId edcp-\S+ /gm)).toHaveLength(3);
  expect(output.match(/each exactly once/g)).toHaveLength(3);
  expect(output.trim().split("\n").at(-1)).toBe("demo ok: sandbox stopped");
});
