/** `edgeplane tokens revoke NAME --yes`: irreversible. */
import type { EdgeKvTokensClient } from "../../core/akamai/edgekv-tokens";
import { UsageError } from "../io";
import { COMMON_FLAGS, type TokensContext, type TokensSubcommand } from "./context";

export const revokeCommand: TokensSubcommand = {
  flags: [...COMMON_FLAGS, { name: "--yes" }],
  prepare(context) {
    const names = context.flags.positionals;
    if (names.length !== 1) throw new UsageError(`revoke takes one token name; got ${names.length}`);
    if (!context.flags.booleans.has("--yes")) {
      throw new UsageError(
        `revoking is irreversible (EdgeWorkers still using ${names[0]} get 401 from EdgeKV); add --yes to confirm`,
      );
    }
    const name = names[0] as string;
    return (client) => revoke(context, client, name);
  },
};

async function revoke(context: TokensContext, client: EdgeKvTokensClient, name: string): Promise<number> {
  const revoked = await client.revokeToken(name);
  context.io.stdout(
    context.json ? `${JSON.stringify({ revoked }, null, 2)}\n` : `revoked ${revoked.name} (uuid ${revoked.uuid})\n`,
  );
  return 0;
}
