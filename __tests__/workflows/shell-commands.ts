/**
 * The simple commands in a workflow's `run:` script, enough of bash to check them: commands are split at
 * newlines, `;`, `&&`, `||`, `|` and `&`; `$(…)` substitutions count as commands of their own; quotes are
 * removed; leading variable assignments, redirections and shell keywords are dropped.
 */

export interface ShellCommand {
  /** Command name first. */
  words: string[];
  /** Words that were plain text (no `$` expansion), by index into `words`. */
  literal: boolean[];
  /** The script line the command starts on (1-based), for messages. */
  line: number;
}

const KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

export function shellCommands(script: string): ShellCommand[] {
  const out: ShellCommand[] = [];
  parse(script.replace(/\\\r?\n/g, " "), out, 1);
  return out;
}

function parse(text: string, out: ShellCommand[], firstLine: number): void {
  let words: string[] = [];
  let literal: boolean[] = [];
  let word = "";
  let wordLiteral = true;
  let inWord = false;
  let line = firstLine;
  let commandLine = firstLine;

  const endWord = () => {
    if (inWord) {
      words.push(word);
      literal.push(wordLiteral);
    }
    word = "";
    wordLiteral = true;
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    const command = simplify(words, literal, commandLine);
    if (command) out.push(command);
    words = [];
    literal = [];
    commandLine = line;
  };

  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\n") {
      endCommand();
      line += 1;
      commandLine = line;
      continue;
    }
    if (ch === "#" && !inWord) {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
      continue;
    }
    if (ch === " " || ch === "\t") {
      endWord();
      continue;
    }
    if (ch === ";" || ch === "&" || ch === "|") {
      // `>&2`, `2>&1` are redirections, not separators.
      if (ch === "&" && (word.endsWith(">") || text[i - 1] === ">")) {
        word += ch;
        inWord = true;
        continue;
      }
      endCommand();
      if ((ch === "&" || ch === "|") && text[i + 1] === ch) i++;
      continue;
    }
    if (ch === "\\") {
      word += text[i + 1] ?? "";
      inWord = true;
      i++;
      continue;
    }
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' on line ${line}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\") {
          word += text[j + 1] ?? "";
          j++;
        } else if (text[j] === "$" && text[j + 1] === "(") {
          j = substitution(text, j, out, line);
          word += "$(…)";
          wordLiteral = false;
        } else {
          if (text[j] === "$") wordLiteral = false;
          if (text[j] === "\n") line += 1;
          word += text[j];
        }
      }
      if (j >= text.length) throw new Error(`unclosed " on line ${line}`);
      inWord = true;
      i = j;
      continue;
    }
    if (ch === "$" && text[i + 1] === "(") {
      i = substitution(text, i, out, line);
      word += "$(…)";
      wordLiteral = false;
      inWord = true;
      continue;
    }
    if (ch === "$") wordLiteral = false;
    word += ch;
    inWord = true;
  }
  endCommand();
}

/** Parses the `$( … )` starting at `start` as commands; returns the index of its closing parenthesis. */
function substitution(text: string, start: number, out: ShellCommand[], line: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let j = start + 1; j < text.length; j++) {
    const ch = text[j]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"') j++;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(") depth += 1;
    else if (ch === ")") {
      depth -= 1;
      if (depth === 0) {
        parse(text.slice(start + 2, j), out, line);
        return j;
      }
    }
  }
  throw new Error(`unclosed $( on line ${line}`);
}

function simplify(words: string[], literal: boolean[], line: number): ShellCommand | undefined {
  let i = 0;
  while (i < words.length && KEYWORDS.has(words[i]!)) i++;
  if (words[i] === "for" || words[i] === "case") return undefined; // the loop header; its body is separate
  while (i < words.length && ASSIGNMENT.test(words[i]!)) {
    if (/^[^=]*=\(/.test(words[i]!)) return undefined; // array assignment: x=(a b)
    i++;
  }
  const kept: string[] = [];
  const keptLiteral: boolean[] = [];
  for (let k = i; k < words.length; k++) {
    const w = words[k]!;
    if (/^\d*(>>?|<<?<?|>&|&>)/.test(w)) {
      // A redirection; its target is the same word (`>file`) or the next one (`> file`).
      if (/^\d*(>>?|<<?<?|>&|&>)$/.test(w)) k++;
      continue;
    }
    if (KEYWORDS.has(w) && kept.length === 0) continue;
    kept.push(w);
    keptLiteral.push(literal[k]!);
  }
  return kept.length > 0 ? { words: kept, literal: keptLiteral, line } : undefined;
}
