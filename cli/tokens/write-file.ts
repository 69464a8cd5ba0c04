/**
 * `edgeplane tokens write-file NAME... --out PATH` and `tokens write-file --env E --out PATH`: the tokens'
 * entries into edgekv_tokens.js (a file, a directory, or a .tgz bundle); see file-writer.ts.
 */
import type { EdgeKvToken } from "../../core/akamai/edgekv-tokens";
import type { TokenIdentity } from "../../core/tokens/bundle";
import { declaredNamespaces } from "../../core/tokens/declared";
import { prefixTokens } from "../../core/tokens/select";
import { entriesFor, tokenEntry, type TokensFileEntries } from "../../core/tokens/tokens-file";
import { flagValue, refuseFlags } from "../flags";
import { CommandError, UsageError } from "../io";
import { COMMON_FLAGS, type TokensContext, type TokensSubcommand, type TokensWork, listTokens } from "./context";
import { legacyTokenNamespaces, writeTarget, writeTokens } from "./file-writer";

export const writeFileCommand: TokensSubcommand = {
  flags: [
    ...COMMON_FLAGS,
    { name: "--out", value: "a file, a directory or a .tgz bundle" },
    { name: "--namespace", value: "an EdgeKV namespace name", repeatable: true },
    { name: "--overwrite" },
    { name: "--bump-version" },
  ],
  prepare: (context) => prepareWriteFile(context),
};

function prepareWriteFile(context: TokensContext): TokensWork {
  const { flags, env } = context;
  const out = flagValue(flags, "--out");
  if (out === undefined) throw new UsageError("write-file needs --out PATH (a file, a directory, or a .tgz bundle)");
  const namespaces = flags.values.get("--namespace");
  for (const ns of namespaces ?? []) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/.test(ns))
      throw new UsageError(`--namespace "${ns}" is not an EdgeKV namespace name`);
  }
  if (env) {
    if (flags.positionals.length > 0)
      throw new UsageError("write-file --env E takes no token names: it writes the current token of each declared token");
    refuseFlags(flags, ["--namespace"], "does not apply with --env: the declared namespaces are used");
  } else if (flags.positionals.length === 0) {
    throw new UsageError("write-file needs token names (or --env E for the environment's current tokens)");
  }
  if (flags.booleans.has("--bump-version") && !/\.tgz$/i.test(out))
    throw new UsageError("--bump-version only applies when --out is a .tgz bundle");
  const target = writeTarget(out);
  return async (client) => {
    const entries: TokensFileEntries = {};
    const identities: TokenIdentity[] = [];
    const add = (token: EdgeKvToken, forNamespaces: readonly string[]): void => {
      for (const [namespace, entry] of Object.entries(entriesFor(forNamespaces, tokenEntry(token)))) {
        if (entries[namespace] !== undefined)
          throw new CommandError(
            `namespace ${namespace} would get two tokens (${entries[namespace]?.name} and ${token.name}); pick one`,
          );
        entries[namespace] = entry;
        identities.push({ namespace, name: token.name, uuid: token.uuid });
      }
      if (token.tokenActivationStatus !== undefined && token.tokenActivationStatus !== "COMPLETE") {
        context.io.stderr(
          `edgeplane tokens: warning: ${token.name} is ${token.tokenActivationStatus}; EdgeWorkers refuses bundles that reference it until it is COMPLETE\n`,
        );
      }
    };
    if (env) {
      const listed = await listTokens(context.io, client, true);
      const missing: string[] = [];
      for (const declared of env.edgeKv.tokens) {
        const current = prefixTokens(declared.namePrefix, listed, context.io.now()).current;
        if (current === undefined) missing.push(declared.namePrefix);
        else add(await client.getToken(current.name), declaredNamespaces(declared));
      }
      if (missing.length > 0)
        throw new CommandError(`environment ${env.name} has no usable token for: ${missing.join(", ")} (nothing written)`);
    } else {
      for (const name of flags.positionals) {
        const token = await client.getToken(name);
        add(token, namespaces ?? namespacesOf(token));
      }
    }
    const written = writeTokens(target, entries, {
      overwrite: flags.booleans.has("--overwrite"),
      bumpVersion: flags.booleans.has("--bump-version"),
      identities,
    });
    if (context.json) {
      context.io.stdout(`${JSON.stringify(written, null, 2)}\n`);
    } else {
      const lines = [
        `wrote ${written.path}${written.bundleVersion !== undefined ? ` (edgeworker-version ${written.bundleVersion})` : ""}:`,
        ...written.entries.map((e) => `  namespace-${e.namespace}: ${e.name} (${e.kind === "legacy" ? "value" : "reference"})`),
        ...(written.kept.length > 0 ? [`  kept: ${written.kept.map((ns) => `namespace-${ns}`).join(", ")}`] : []),
        "",
      ];
      context.io.stdout(lines.join("\n"));
    }
    return 0;
  };
}

function namespacesOf(token: EdgeKvToken): string[] {
  const namespaces =
    token.namespacePermissions !== undefined
      ? Object.keys(token.namespacePermissions).sort()
      : token.value !== undefined
        ? legacyTokenNamespaces(token.value)
        : undefined;
  if (namespaces === undefined || namespaces.length === 0) {
    throw new CommandError(`cannot tell which namespaces token ${token.name} covers; name them with --namespace NS`);
  }
  return namespaces;
}
