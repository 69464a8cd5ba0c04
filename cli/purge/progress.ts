/**
 * Progress on stderr for long purges (stdout stays for the summary or JSON).
 * On a terminal one line is rewritten in place; elsewhere (CI logs) a line is printed at most every
 * 5 seconds, and nothing at all for purges that finish within the first 5 seconds.
 */
import type { CommandIo } from "../io";

const TTY_INTERVAL_MS = 200;
const LOG_INTERVAL_MS = 5_000;

export class ProgressPrinter {
  private readonly start: number;
  private lastShown = 0;
  private last: string | undefined;
  private shownAny = false;
  private lastShownText: string | undefined;

  constructor(
    private readonly io: Pick<CommandIo, "stderr" | "stderrIsTty" | "now">,
    private readonly quiet: boolean,
  ) {
    this.start = io.now();
  }

  update(text: string): void {
    if (this.quiet) return;
    this.last = text;
    const now = this.io.now();
    if (this.io.stderrIsTty) {
      if (now - this.lastShown < TTY_INTERVAL_MS) return;
      this.io.stderr(`\r\x1b[2K${text}`);
    } else {
      if (now - this.start < LOG_INTERVAL_MS || now - this.lastShown < LOG_INTERVAL_MS) return;
      this.io.stderr(`${text}\n`);
    }
    this.lastShown = now;
    this.shownAny = true;
    this.lastShownText = text;
  }

  /** Shows the final state if progress was shown at all. */
  done(): void {
    if (this.quiet || !this.shownAny || this.last === undefined) return;
    if (this.io.stderrIsTty) this.io.stderr(`\r\x1b[2K${this.last}\n`);
    else if (this.last !== this.lastShownText) this.io.stderr(`${this.last}\n`);
  }
}
