/** `edgeplane tokens refresh NAME`: force an enhanced token's refresh. */
import type { EdgeKvTokensClient } from "../../core/akamai/edgekv-tokens";
import { UsageError } from "../io";
import { COMMON_FLAGS, type TokensContext, type TokensSubcommand, shown } from "./context";

export const refreshCommand: TokensSubcommand = {
  flags: COMMON_FLAGS,
  prepare(context) {
    const names = context.flags.positionals;
    if (names.length !== 1) throw new UsageError(`refresh takes one token name; got ${names.length}`);
    const name = names[0] as string;
    return (client) => refresh(context, client, name);
  },
};

async function refresh(context: TokensContext, client: EdgeKvTokensClient, name: string): Promise<number> {
  const token = await client.refreshToken(name);
  if (context.json) context.io.stdout(`${JSON.stringify(shown(token), null, 2)}\n`);
  else {
    context.io.stdout(
      `refreshed ${token.name}: latest refresh ${token.latestRefreshDate ?? "-"}, next scheduled refresh ${token.nextScheduledRefreshDate ?? "-"}\n`,
    );
  }
  return 0;
}
