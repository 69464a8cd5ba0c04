/**
 * EdgeGrid credentials and the `.edgerc` file format.
 *
 * Error messages name files, sections and fields but never print a value: client_secret and
 * access_token are secrets, and a mistyped line may hold one.
 */
import { EdgeplaneError } from "../errors";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import * as z from "zod/mini";

export interface EdgeGridCredentials {
  /** API host as issued, e.g. "akab-xxx.luna.akamaiapis.net" (see host-safety.ts for what is accepted). */
  host: string;
  clientToken: string;
  clientSecret: string;
  accessToken: string;
  /** Body bytes covered by the content hash; default 131072 (sign.ts). */
  maxBody?: number;
}

const nonEmpty = z
  .string({ error: "must be a non-empty string" })
  .check(z.trim(), z.minLength(1, { error: "must be a non-empty string" }));

export const edgeGridCredentialsSchema = z.object({
  host: nonEmpty,
  clientToken: nonEmpty,
  clientSecret: nonEmpty,
  accessToken: nonEmpty,
  maxBody: z.optional(z.int({ error: "must be an integer" }).check(z.positive({ error: "must be positive" }))),
});

export class EdgeGridCredentialsError extends EdgeplaneError {
  override name = "EdgeGridCredentialsError";

  constructor(message: string) {
    super(message, "credentials");
  }
}

/** Validates an object (e.g. a parsed Secrets Manager value); the error lists field names and rules only. */
export function parseEdgeGridCredentials(value: unknown, source = "EdgeGrid credentials"): EdgeGridCredentials {
  const result = edgeGridCredentialsSchema.safeParse(value);
  if (result.success) return result.data;
  // zod 4 issues do not carry the input unless asked to (reportInput), so messages hold no values.
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  throw new EdgeGridCredentialsError(`${source} are invalid: ${problems.join("; ")}`);
}

/** A `.edgerc` key, normalized: lower case, dashes as underscores ("max-body" and "max_body" are one key). */
function normalizeKey(key: string): string {
  return key.trim().toLowerCase().replace(/-/g, "_");
}

/**
 * A value after `=`: either quoted ('…' or "…", backslash escapes the next character, anything after
 * the closing quote must be blank or a comment) or bare (an inline comment starts at ";" or "#"
 * preceded by whitespace, so base64 secrets and URLs stay whole). Returns undefined when a quote is
 * not closed or text follows it.
 */
export function parseEdgercValue(raw: string): string | undefined {
  const text = raw.trim();
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    let value = "";
    for (let i = 1; i < text.length; i++) {
      const ch = text[i] as string;
      if (ch === "\\" && i + 1 < text.length) {
        value += text[i + 1];
        i++;
      } else if (ch === quote) {
        const rest = text.slice(i + 1).trim();
        return rest === "" || rest.startsWith(";") || rest.startsWith("#") ? value : undefined;
      } else {
        value += ch;
      }
    }
    return undefined;
  }
  const comment = /\s[;#]/.exec(text);
  return (comment ? text.slice(0, comment.index) : text).trim();
}

export type EdgercSections = Map<string, Map<string, string>>;

/** Parses every section of a `.edgerc` text. Lines that are neither sections, keys nor comments are errors. */
export function parseEdgercSections(text: string, source = ".edgerc"): EdgercSections {
  const sections: EdgercSections = new Map();
  let current: Map<string, string> | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith(";") || trimmed.startsWith("#")) return;
    const header = /^\[([^\]]+)\]\s*(?:[;#].*)?$/.exec(trimmed);
    if (header) {
      const name = (header[1] as string).trim();
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      return;
    }
    const where = `${source} line ${index + 1}`;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) throw new EdgeGridCredentialsError(`${where}: expected "[section]" or "key = value"`);
    const key = normalizeKey(trimmed.slice(0, eq));
    if (!current) throw new EdgeGridCredentialsError(`${where}: key "${key}" appears before any [section]`);
    const value = parseEdgercValue(trimmed.slice(eq + 1));
    if (value === undefined) {
      throw new EdgeGridCredentialsError(`${where}: the value of "${key}" has an unclosed quote or text after its closing quote`);
    }
    current.set(key, value);
  });
  return sections;
}

const REQUIRED_KEYS = ["host", "client_token", "client_secret", "access_token"] as const;

/** Reads one section of a `.edgerc` text into credentials. */
export function parseEdgerc(text: string, section = "default", source = ".edgerc"): EdgeGridCredentials {
  const sections = parseEdgercSections(text, source);
  const values = sections.get(section);
  if (!values) {
    const found = [...sections.keys()].map((s) => `[${s}]`).join(", ") || "none";
    throw new EdgeGridCredentialsError(`${source} has no section [${section}] (sections found: ${found})`);
  }
  const missing = REQUIRED_KEYS.filter((key) => !values.get(key));
  if (missing.length > 0) {
    throw new EdgeGridCredentialsError(`${source} section [${section}] is missing or has empty: ${missing.join(", ")}`);
  }
  const credentials: EdgeGridCredentials = {
    host: values.get("host") as string,
    clientToken: values.get("client_token") as string,
    clientSecret: values.get("client_secret") as string,
    accessToken: values.get("access_token") as string,
  };
  const maxBody = values.get("max_body");
  if (maxBody !== undefined) {
    if (!/^[1-9]\d*$/.test(maxBody)) {
      throw new EdgeGridCredentialsError(`${source} section [${section}]: max_body (or max-body) must be a positive integer`);
    }
    credentials.maxBody = Number(maxBody);
  }
  return parseEdgeGridCredentials(credentials, `${source} section [${section}]`);
}

/** Reads one section of a `.edgerc` file; "~/" at the start of the path means the home directory. */
export function readEdgerc(path: string, section = "default"): EdgeGridCredentials {
  const resolved = path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
  let text: string;
  try {
    text = readFileSync(resolved, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new EdgeGridCredentialsError(`cannot read .edgerc file ${resolved} (${code})`);
  }
  return parseEdgerc(text, section, resolved);
}

/**
 * The environment variables Akamai's edgegrid libraries read (akamai-edgegrid's edgerc.js `readEnv`):
 * `AKAMAI_<KEY>` for the section "default", `AKAMAI_<SECTION>_<KEY>` (section upper-cased) for any other;
 * a named section never falls back to the plain `AKAMAI_*` variables.
 */
export const EDGEGRID_ENV_KEYS = ["HOST", "CLIENT_TOKEN", "CLIENT_SECRET", "ACCESS_TOKEN"] as const;

export function edgeGridEnvPrefix(section = "default"): string {
  return section === "default" ? "AKAMAI_" : `AKAMAI_${section.toUpperCase()}_`;
}

/** The variable names for a section, e.g. ["AKAMAI_HOST", ...] or ["AKAMAI_CI_HOST", ...]. */
export function edgeGridEnvNames(section = "default"): string[] {
  const prefix = edgeGridEnvPrefix(section);
  return EDGEGRID_ENV_KEYS.map((key) => `${prefix}${key}`);
}

/**
 * Credentials from the environment, or undefined when none of the section's four variables is set.
 * Some but not all set is an error naming the missing variables (never a value). akamai-edgegrid
 * silently ignores an incomplete set; here it is an error, because a CI secret that did not arrive should
 * stop the job, not send it looking elsewhere.
 */
export function readEnvCredentials(
  env: Record<string, string | undefined>,
  section = "default",
): EdgeGridCredentials | undefined {
  const names = edgeGridEnvNames(section);
  const present = names.filter((name) => (env[name] ?? "").trim() !== "");
  if (present.length === 0) return undefined;
  const missing = names.filter((name) => !present.includes(name));
  if (missing.length > 0) {
    throw new EdgeGridCredentialsError(
      `EdgeGrid credentials from the environment are incomplete: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not set ` +
        `(set: ${present.join(", ")}); set all four of ${names.join(", ")}`,
    );
  }
  const [host, clientToken, clientSecret, accessToken] = names.map((name) => (env[name] as string).trim()) as [
    string,
    string,
    string,
    string,
  ];
  return parseEdgeGridCredentials(
    { host, clientToken, clientSecret, accessToken },
    `environment variables ${edgeGridEnvPrefix(section)}*`,
  );
}
