/**
 * Where a direct command (`purge`, `tokens`, `validate-credentials`) gets its EdgeGrid credential:
 *   1. --edgerc PATH [--section S]: that file's section;
 *   2. else the environment, as Akamai's edgegrid libraries read it: AKAMAI_HOST, AKAMAI_CLIENT_TOKEN,
 *      AKAMAI_CLIENT_SECRET, AKAMAI_ACCESS_TOKEN for the section "default", AKAMAI_<S>_* for --section S
 *      (S upper-cased). Some but not all four set is an error naming the missing ones;
 *   3. else the command's default .edgerc (~/.edgerc for tokens and validate-credentials), if it has one.
 * Messages name files, sections and variables, never a value.
 */
import {
  EdgeGridCredentialsError,
  type EdgeGridCredentials,
  edgeGridEnvNames,
  edgeGridEnvPrefix,
  readEdgerc,
  readEnvCredentials,
} from "../core/edgegrid/credentials";
import { UsageError } from "./io";

export interface CredentialChoice {
  edgerc?: string;
  section: string;
}

export interface ResolvedCredentials {
  credentials: EdgeGridCredentials;
  /** Where they came from, for output: "--edgerc ~/.edgerc [s]" or "environment AKAMAI_*". */
  source: string;
  from: "edgerc" | "environment";
}

export function resolveCredentials(
  choice: CredentialChoice,
  env: Record<string, string | undefined>,
  defaultEdgerc?: string,
): ResolvedCredentials {
  if (choice.edgerc !== undefined) {
    return {
      credentials: readEdgerc(choice.edgerc, choice.section),
      source: `--edgerc ${choice.edgerc} [${choice.section}]`,
      from: "edgerc",
    };
  }
  const fromEnv = readEnvCredentials(env, choice.section);
  if (fromEnv !== undefined)
    return { credentials: fromEnv, source: `environment ${edgeGridEnvPrefix(choice.section)}*`, from: "environment" };
  if (defaultEdgerc !== undefined) {
    try {
      return {
        credentials: readEdgerc(defaultEdgerc, choice.section),
        source: `--edgerc ${defaultEdgerc} [${choice.section}]`,
        from: "edgerc",
      };
    } catch (error) {
      if (!(error instanceof EdgeGridCredentialsError)) throw error;
      throw new EdgeGridCredentialsError(
        `${error.message}; no --edgerc was given and none of ${edgeGridEnvNames(choice.section).join(", ")} is set, so the default ` +
          `${defaultEdgerc} was tried`,
      );
    }
  }
  throw new UsageError(
    `no Akamai credential: pass --edgerc PATH [--section S], or set ${edgeGridEnvNames(choice.section).join(", ")}`,
  );
}
