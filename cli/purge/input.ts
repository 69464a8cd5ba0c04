/**
 * Where purge objects come from: arguments, `--file PATH` (repeatable) and standard input ("-", or piped
 * when nothing else names objects). Files and stdin hold one object per line; blank lines and lines whose
 * first non-blank character is "#" are skipped, and each line is trimmed. (A cache tag that starts with
 * "#" therefore has to be given as an argument.)
 */
import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import { CommandError, UsageError } from "../io";
import type { PurgeArgs } from "./args";

export interface ObjectSource {
  objects: string[];
  /** Where each object came from ("argument 2", "urls.txt line 14", "stdin line 3"), same order. */
  origins: string[];
}

export function parseObjectLines(text: string, origin: string, into: ObjectSource): void {
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    into.objects.push(trimmed);
    into.origins.push(`${origin} line ${index + 1}`);
  });
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

export async function readObjects(
  args: Pick<PurgeArgs, "objects" | "files" | "readStdin">,
  stdin: Readable,
  stdinIsTty: boolean,
): Promise<ObjectSource> {
  const source: ObjectSource = { objects: [], origins: [] };
  args.objects.forEach((object, i) => {
    source.objects.push(object);
    source.origins.push(`argument ${i + 1}`);
  });
  for (const file of args.files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new CommandError(`--file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    parseObjectLines(text, file, source);
  }
  const pipedWithNothingElse = !stdinIsTty && args.objects.length === 0 && args.files.length === 0;
  if (args.readStdin || pipedWithNothingElse) {
    parseObjectLines(await readAll(stdin), "stdin", source);
  }
  if (source.objects.length === 0) {
    throw new UsageError(
      'no objects to purge: give them as arguments, with --file PATH (one per line), or on standard input ("-" or a pipe)',
    );
  }
  return source;
}
