/**
 * The Markdown plan review: per stack a counts line, the guard findings, destroys and replacements first
 * (each with what forces it), then every change in a collapsible section. The whole text stays within a
 * character budget (a GitHub comment holds at most 65,536 characters); what does not fit is cut from the
 * end of the lists, with a visible notice.
 */
import { basename } from "node:path";
import type { StackReport } from "./evaluate";
import { unacknowledgedBlocks } from "./evaluate";
import type { ChangeKind, ResourceChange } from "./plan";
import { changeKind, terraformSummary } from "./plan";
import { replacementCauses } from "./replacement";
import type { Finding } from "./rule";
import { UNKNOWN, attributeDiffs } from "./values";

/** GitHub's limit for an issue or pull request comment body. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** The default budget: under the limit, with room for a workflow to add a line. */
export const DEFAULT_MAX_CHARS = 65_000;
const MAX_ATTRIBUTES_PER_CHANGE = 25;
const STACK_SEPARATOR = "\n\n---\n\n";

export interface RenderOptions {
  maxChars: number;
  /** The commit the plans were made from, shown in each heading. */
  commit?: string;
}

export interface RenderedReport {
  markdown: string;
  truncated: boolean;
}

/** The HTML comment that identifies a stack's report, so a workflow can update its comment in place. */
export function reportMarker(stack: string): string {
  return `<!-- edgeplane-plan-report:${stack} -->`;
}

export function renderReport(reports: readonly StackReport[], options: RenderOptions): RenderedReport {
  const full = reports.map((r) => renderStack(r, options, Number.POSITIVE_INFINITY));
  const separators = STACK_SEPARATOR.length * Math.max(0, reports.length - 1);
  if (full.reduce((n, r) => n + r.markdown.length, 0) + separators <= options.maxChars) {
    return { markdown: full.map((r) => r.markdown).join(STACK_SEPARATOR), truncated: false };
  }
  // Share the budget: stacks that need less than an equal share give the rest to the others.
  const budgets = new Array<number>(reports.length);
  let remaining = options.maxChars - separators;
  const order = full.map((r, i) => ({ i, length: r.markdown.length })).sort((a, b) => a.length - b.length);
  order.forEach(({ i, length }, k) => {
    const share = Math.floor(remaining / (order.length - k));
    budgets[i] = Math.min(length, share);
    remaining -= budgets[i]!;
  });
  const parts = reports.map((r, i) =>
    full[i]!.markdown.length <= budgets[i]! ? full[i]! : renderStack(r, options, budgets[i]!),
  );
  return { markdown: parts.map((p) => p.markdown).join(STACK_SEPARATOR), truncated: parts.some((p) => p.truncated) };
}

interface Unit {
  text: string;
  /** Counts as one entry in the truncation notice. */
  entry: boolean;
  /** Opens or closes the collapsible list. */
  opensDetails?: boolean;
  closesDetails?: boolean;
}

const DETAILS_CLOSE = "\n</details>\n";

function renderStack(report: StackReport, options: RenderOptions, budget: number): RenderedReport {
  const head = headOf(report, options);
  const units = unitsOf(report);
  const entries = units.filter((u) => u.entry).length;
  let out = head;
  let inDetails = false;
  let shown = 0;
  for (const unit of units) {
    const reserve = (inDetails || unit.opensDetails ? DETAILS_CLOSE.length : 0) + notice(entries, entries, budget).length;
    if (out.length + unit.text.length + reserve > budget && !unit.closesDetails) {
      if (inDetails) out += DETAILS_CLOSE;
      out += notice(entries - shown, entries, budget);
      return { markdown: fit(out, budget), truncated: true };
    }
    out += unit.text;
    if (unit.opensDetails) inDetails = true;
    if (unit.closesDetails) inDetails = false;
    if (unit.entry) shown += 1;
  }
  return { markdown: out, truncated: false };
}

/** Cuts a text that is still over budget (only when even the heading does not fit). */
function fit(text: string, budget: number): string {
  if (text.length <= budget) return text;
  const cut = "\n\n> ⚠️ **Truncated.**\n";
  return text.slice(0, Math.max(0, budget - cut.length)) + cut;
}

function notice(omitted: number, total: number, budget: number): string {
  return (
    `\n> ⚠️ **Truncated:** ${omitted} of ${total} entries are not shown, to keep this report within ${budget.toLocaleString("en-US")} characters ` +
    `(a GitHub comment holds at most ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")}). \`terraform show <planfile>\` on the saved plan shows every change.\n`
  );
}

function headOf(report: StackReport, options: RenderOptions): string {
  const blocks = unacknowledgedBlocks(report);
  const acknowledged = report.findings.filter((f) => f.allowed);
  const status = blocks.length > 0 ? "⛔ blocked" : report.findings.length > 0 ? "⚠️ review the findings" : "✅";
  const c = report.counts;
  const counts = [`${c.add} to add`, `${c.change} to change`, `${c.destroy} to destroy`, `${c.replace} to replace`];
  if (c.import > 0) counts.push(`${c.import} to import`);
  if (c.forget > 0) counts.push(`${c.forget} to forget`);
  if (c.other > 0) counts.push(`${c.other} other`);
  const meta = [
    options.commit ? `planned from \`${options.commit.slice(0, 12)}\`` : undefined,
    report.terraformVersion ? `Terraform ${report.terraformVersion}` : undefined,
    `\`${escapeCode(basename(report.source))}\``,
  ].filter(Boolean);
  const lines = [
    reportMarker(report.stack),
    `### Plan for \`${report.stack}\` ${status}`,
    "",
    `**${counts.join(" · ")}** (Terraform: \`${terraformSummary(c)}\`)`,
    "",
    `<sub>${meta.join(" · ")}</sub>`,
    "",
  ];
  if (report.errored) lines.push("> ⚠️ **Terraform reported errors while planning:** this plan may be incomplete.", "");
  if (blocks.length > 0) {
    const ids = [...new Set(blocks.map((f) => f.ruleId))];
    lines.push(
      `> ⛔ **${blocks.length} blocking finding${blocks.length === 1 ? "" : "s"}.** Nothing is applied until a reviewer acknowledges ` +
        `${ids.length === 1 ? "the rule" : "each rule"}: ${ids.map((id) => `\`--allow ${id}\``).join(", ")}.`,
      "",
    );
  }
  if (acknowledged.length > 0) {
    lines.push(`> ☑️ Acknowledged: ${[...new Set(acknowledged.map((f) => `\`${f.ruleId}\``))].join(", ")}.`, "");
  }
  return `${lines.join("\n")}\n`;
}

const KIND_ORDER: ChangeKind[] = ["delete", "replace", "other", "forget", "update", "create", "read", "no-op"];
const KIND_LABEL: Record<ChangeKind, string> = {
  delete: "🗑️ **destroy**",
  replace: "♻️ **replace**",
  update: "✏️ **update**",
  create: "➕ **create**",
  forget: "📤 **forget**",
  read: "🔎 **read**",
  "no-op": "▫️ **no change**",
  other: "❓ **unusual action**",
};

function unitsOf(report: StackReport): Unit[] {
  const units: Unit[] = [];
  const findings = sortFindings(report.findings);
  units.push({ text: "#### Guard rules\n\n", entry: false });
  if (findings.length === 0) units.push({ text: "No findings.\n", entry: false });
  for (const f of findings) units.push({ text: findingLine(f), entry: true });

  const ordered = [...report.changes].sort((a, b) => kindRank(a) - kindRank(b) || a.address.localeCompare(b.address));
  const dangerous = ordered.filter((rc) => ["delete", "replace"].includes(changeKind(rc.change.actions)));
  units.push({ text: "\n#### Destroyed and replaced\n\n", entry: false });
  if (dangerous.length === 0) units.push({ text: "Nothing is destroyed or replaced.\n", entry: false });
  for (const rc of dangerous) units.push({ text: dangerLine(rc), entry: true });

  units.push({
    text: `\n<details><summary>All ${ordered.length} change${ordered.length === 1 ? "" : "s"}</summary>\n\n`,
    entry: false,
    opensDetails: true,
  });
  if (ordered.length === 0) units.push({ text: "No changes.\n", entry: false });
  for (const rc of ordered) units.push({ text: changeBlock(rc), entry: true });
  units.push({ text: DETAILS_CLOSE, entry: false, closesDetails: true });
  return units;
}

function kindRank(rc: ResourceChange): number {
  return KIND_ORDER.indexOf(changeKind(rc.change.actions));
}

function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (f: Finding) => (f.severity === "block" ? (f.allowed ? 1 : 0) : 2);
  return [...findings].sort((a, b) => rank(a) - rank(b));
}

function findingLine(f: Finding): string {
  const badge = f.severity === "warn" ? "⚠️ **warn**" : f.allowed ? "☑️ **block, acknowledged**" : "⛔ **block**";
  return `- ${badge} \`${f.ruleId}\` on \`${escapeCode(f.address)}\`: ${escapeText(f.detail)}.<br>${escapeText(f.message)}<br><sub>Why this rule: ${escapeText(f.why)}</sub>\n`;
}

function dangerLine(rc: ResourceChange): string {
  const kind = changeKind(rc.change.actions);
  let line = `- ${KIND_LABEL[kind]} \`${escapeCode(rc.address)}\``;
  if (rc.deposed) line += ` (deposed object ${escapeText(rc.deposed)})`;
  const reason = reasonText(rc.action_reason);
  if (kind === "replace") {
    const causes = replacementCauses(rc);
    if (causes.length > 0) {
      line += `, forced by ${causes.map((c) => `\`${escapeCode(c.path)}\` (${code(c.before)} → ${code(c.after)})`).join(", ")}`;
    } else if (reason) line += `: ${reason}`;
  } else if (reason) line += `: ${reason}`;
  return `${line}\n`;
}

function changeBlock(rc: ResourceChange): string {
  const kind = changeKind(rc.change.actions);
  const label = kind === "other" ? `${KIND_LABEL.other} (${rc.change.actions.join(", ")})` : KIND_LABEL[kind];
  let text = `- ${label} \`${escapeCode(rc.address)}\``;
  if (rc.previous_address) text += ` (moved from \`${escapeCode(rc.previous_address)}\`)`;
  if (rc.change.importing) text += ` (import${rc.change.importing.id ? ` of ${code(rc.change.importing.id)}` : ""})`;
  text += "\n";
  if (kind === "delete") return text;
  const all = attributeDiffs(rc.change);
  // Values Terraform learns only at apply go on one line (unless they force the replacement); what forces
  // a replacement comes first.
  const later = all.filter((d) => d.after === UNKNOWN && !d.forcesReplacement);
  const diffs = all.filter((d) => !later.includes(d)).sort((a, b) => Number(b.forcesReplacement) - Number(a.forcesReplacement));
  for (const d of diffs.slice(0, MAX_ATTRIBUTES_PER_CHANGE)) {
    const forced = d.forcesReplacement && kind === "replace" ? " **(forces replacement)**" : "";
    text +=
      kind === "create"
        ? `  - \`${escapeCode(d.path)}\` = ${code(d.after)}\n`
        : `  - \`${escapeCode(d.path)}\`: ${code(d.before)} → ${code(d.after)}${forced}\n`;
  }
  if (diffs.length > MAX_ATTRIBUTES_PER_CHANGE) text += `  - … and ${diffs.length - MAX_ATTRIBUTES_PER_CHANGE} more attributes\n`;
  if (later.length > 0) text += `  - known after apply: ${later.map((d) => `\`${escapeCode(d.path)}\``).join(", ")}\n`;
  if (kind === "update" && all.length === 0) text += "  - no attribute value changes (only sensitivity or other metadata)\n";
  return text;
}

const REASONS: Record<string, string> = {
  replace_because_tainted: "the object is tainted",
  replace_because_cannot_update: "an attribute cannot be updated in place",
  replace_by_request: "replacement requested (-replace)",
  replace_by_triggers: "replace_triggered_by",
  delete_because_no_resource_config: "removed from the configuration",
  delete_because_no_module: "its module was removed from the configuration",
  delete_because_wrong_repetition: "count / for_each changed how it is repeated",
  delete_because_count_index: "its count index is out of range",
  delete_because_each_key: "its for_each key is gone",
  delete_because_no_move_target: "the target of its moved block is gone",
};

function reasonText(reason: string | undefined): string {
  if (!reason) return "";
  return REASONS[reason] ?? escapeText(reason);
}

/** An inline code span that survives backticks in the value. */
function code(value: string): string {
  const text = value.replace(/\r?\n/g, "⏎");
  if (!text.includes("`")) return `\`${text}\``;
  return `\`\` ${text} \`\``;
}

function escapeCode(value: string): string {
  return value.replace(/`/g, "'").replace(/\r?\n/g, "⏎");
}

/** Plain text that must not turn into Markdown or HTML (policy wildcards, angle brackets). */
function escapeText(value: string): string {
  return value.replace(/[\\`*_[\]<>|~#]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, " ");
}
