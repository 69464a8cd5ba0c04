/** The one recording logger: fits core's AppLogger (and the narrower loggers that are subsets of it). */
import type { AppLogger } from "../../core/observability";

export interface LogEntry {
  level: "info" | "warn" | "error";
  message: string;
  details?: Record<string, unknown>;
}

export interface RecordingLogger extends AppLogger {
  readonly entries: LogEntry[];
  /** Everything logged as one string, for "never logs a secret" checks. */
  text(): string;
}

export function recordingLogger(entries: LogEntry[] = []): RecordingLogger {
  const log = (level: LogEntry["level"]) => (message: string, details?: Record<string, unknown>) =>
    void entries.push({ level, message, ...(details ? { details } : {}) });
  return { entries, info: log("info"), warn: log("warn"), error: log("error"), text: () => JSON.stringify(entries) };
}
