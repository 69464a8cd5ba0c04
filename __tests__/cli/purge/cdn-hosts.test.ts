/** Which hosts a direct CDN purge configures its provider with when no allow-list is given (any host). */
import { hostOfObject, servedHostnames } from "../../../cli/purge/cdn";

test.each([
  ["url", "https://WWW.Example.com/a?b=1", "www.example.com"],
  ["url", "http://img.example.org:8080/x.png", "img.example.org"],
  ["url", "https://user@www.example.com/a", undefined],
  ["url", "https://bad_host.example.com/a", undefined],
  ["url", "/just/a/path", undefined],
  ["host", "Static.Example.com", "static.example.com"],
  ["prefix", "www.example.com/blog/2026", "www.example.com"],
  ["tag", "www.example.com", undefined],
])("%s %j names host %j", (type, value, host) => {
  expect(hostOfObject(type, value)).toBe(host);
});

test("any host: every valid host the objects name, once; an allow-list is taken as it is", () => {
  const objects = [
    { type: "url" as const, value: "https://a.example.com/1" },
    { type: "url" as const, value: "https://A.example.com/2" },
    { type: "url" as const, value: "not a url" },
    { type: "url" as const, value: "https://b.example.com/3" },
  ];
  expect(servedHostnames({ kind: "any" }, objects)).toEqual(["a.example.com", "b.example.com"]);
  expect(servedHostnames({ kind: "list", hosts: ["*.example.net"], source: "--allow-host" }, objects)).toEqual(["*.example.net"]);
});
