/**
 * The programs a bash script starts, read from its text: every word in command position (after
 * assignments and redirections, and through `exec`, `command`, `env`, `nohup`, `timeout`),
 * including those inside `$(...)`, backticks and `<(...)`. Not commands: case patterns, the words
 * of `[[ ]]` and `(( ))`, `for` lists, here-document bodies, arguments. Functions the script
 * defines are reported apart, as are programs only started after a `command -v` check (the
 * entrypoint's optional `ip`).
 *
 * A reader of the bash this project writes, not a full bash grammar: a construct it does not
 * know (a program named by a variable) is an error, never a silent pass.
 */

export interface ScriptPrograms {
  /** Every program the script may start, in order of first appearance. */
  programs: string[];
  /** Functions the script defines (calls to them are in `programs` too). */
  functions: string[];
  /** Programs whose presence the script tests with `command -v NAME` before relying on it. */
  probed: string[];
}

type Token = { kind: "word"; text: string; plain: boolean } | { kind: "op"; text: string };

const OPERATORS = [";;&", ";;", ";&", "&&", "||", "|&", "<<<", "<<-", "<<", "<>", ">>", "&>>", "&>", ">&", "<&", ">|", ";", "|", "&", "(", ")", "<", ">", "\n"];
const SEPARATORS = new Set([";", "&&", "||", "|", "|&", "&", "(", "\n"]);
const CASE_ENDS = new Set([";;", ";&", ";;&"]);
const OPENERS = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "time", "{"]);
const CLOSERS = new Set(["fi", "done", "}", "esac"]);
/** Builtins and programs that start the program named after their options. */
const WRAPPERS = new Set(["exec", "command", "builtin", "env", "nohup", "timeout", "xargs"]);

/** Index just past the `close` that matches the opening at `start` (which is past the opener). */
function balanced(text: string, start: number, open: string, close: string): number {
  let depth = 1;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") i += 2;
    else if (c === "'") i = text.indexOf("'", i + 1) + 1;
    else if (c === '"') i = closingQuote(text, i + 1);
    else {
      if (c === open) depth++;
      else if (c === close && --depth === 0) return i + 1;
      i++;
    }
    if (i === 0) break;
  }
  throw new Error(`unbalanced ${open}${close} at ${start}: ${text.slice(Math.max(0, start - 20), start + 40)}`);
}

function closingQuote(text: string, start: number): number {
  let i = start;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === "\\") i += 2;
    else if (text[i] === "$" && text[i + 1] === "(") i = balanced(text, i + 2, "(", ")");
    else i++;
  }
  if (i >= text.length) throw new Error(`unterminated double quote at ${start}`);
  return i + 1;
}

class Reader {
  readonly tokens: Token[] = [];
  /** Command texts nested in this one ($(...), backticks, <(...)), read separately. */
  readonly nested: string[] = [];
  private heredocs: { delimiter: string; stripTabs: boolean }[] = [];

  constructor(private readonly text: string) {
    this.read();
  }

  private read(): void {
    const text = this.text;
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === " " || c === "\t") {
        i++;
      } else if (c === "\\" && text[i + 1] === "\n") {
        i += 2;
      } else if (c === "#") {
        while (i < text.length && text[i] !== "\n") i++;
      } else if (c === "\n") {
        this.tokens.push({ kind: "op", text: "\n" });
        i = this.skipHeredocs(i + 1);
      } else if (text.startsWith("((", i)) {
        const end = balanced(text, i + 2, "(", ")");
        if (text[end] !== ")") throw new Error(`'((' without '))' at ${i}`);
        this.tokens.push({ kind: "word", text: text.slice(i, end + 1), plain: false });
        i = end + 1;
      } else {
        const op = /^[0-9]*/.exec(text.slice(i))![0];
        const operator = OPERATORS.find((o) => text.startsWith(o, i + op.length) && (op === "" || /^[<>]/.test(o)));
        if (operator !== undefined && !((operator === "<" || operator === ">") && text[i + op.length + 1] === "(")) {
          this.tokens.push({ kind: "op", text: op + operator });
          i += op.length + operator.length;
          if (operator === "<<" || operator === "<<-") i = this.readHeredocDelimiter(i, operator === "<<-");
        } else {
          i = this.readWord(i);
        }
      }
    }
  }

  private readHeredocDelimiter(start: number, stripTabs: boolean): number {
    let i = start;
    while (this.text[i] === " ") i++;
    const m = /^(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(this.text.slice(i));
    if (m === null) throw new Error(`here-document without a plain delimiter at ${i}`);
    this.heredocs.push({ delimiter: m[2], stripTabs });
    // The delimiter is the redirection's target word, as for any other redirection.
    this.tokens.push({ kind: "word", text: m[2], plain: false });
    return i + m[0].length;
  }

  private skipHeredocs(start: number): number {
    let i = start;
    for (const { delimiter, stripTabs } of this.heredocs) {
      for (;;) {
        const end = this.text.indexOf("\n", i);
        const line = this.text.slice(i, end < 0 ? this.text.length : end);
        i = end < 0 ? this.text.length : end + 1;
        if ((stripTabs ? line.replace(/^\t+/, "") : line) === delimiter) break;
        if (end < 0) throw new Error(`here-document ${delimiter} never ends`);
      }
    }
    this.heredocs = [];
    return i;
  }

  private readWord(start: number): number {
    const text = this.text;
    let i = start;
    let plain = true;
    let value = "";
    while (i < text.length && !/[ \t\n;&|()<>]/.test(text[i])) {
      const c = text[i];
      if (c === "\\") {
        value += text[i + 1] ?? "";
        i += 2;
        plain = false;
      } else if (c === "'") {
        const end = text.indexOf("'", i + 1);
        value += text.slice(i + 1, end);
        i = end + 1;
        plain = false;
      } else if (c === '"') {
        const end = closingQuote(text, i + 1);
        const inner = text.slice(i + 1, end - 1);
        this.substitutions(inner);
        value += inner;
        i = end;
        plain = false;
      } else if (c === "$" && text[i + 1] === "(") {
        const arithmetic = text[i + 2] === "(";
        const end = balanced(text, i + 2, "(", ")");
        if (!arithmetic) this.nested.push(text.slice(i + 2, end - 1));
        value += "$(...)";
        i = end;
        plain = false;
      } else if (c === "$" && text[i + 1] === "{") {
        const end = balanced(text, i + 2, "{", "}");
        value += text.slice(i, end);
        i = end;
        plain = false;
      } else if (c === "`") {
        const end = text.indexOf("`", i + 1);
        this.nested.push(text.slice(i + 1, end));
        value += "$(...)";
        i = end + 1;
        plain = false;
      } else {
        value += c;
        if (c === "$") plain = false;
        i++;
      }
    }
    // Process substitution, <(...) and >(...), as a word.
    if (i === start && (text[i] === "<" || text[i] === ">") && text[i + 1] === "(") {
      const end = balanced(text, i + 2, "(", ")");
      this.nested.push(text.slice(i + 2, end - 1));
      this.tokens.push({ kind: "word", text: "<(...)", plain: false });
      return end;
    }
    this.tokens.push({ kind: "word", text: value, plain });
    return i;
  }

  /** $(...) and backticks inside double quotes. */
  private substitutions(inner: string): void {
    let i = 0;
    while (i < inner.length) {
      if (inner[i] === "\\") i += 2;
      else if (inner[i] === "$" && inner[i + 1] === "(" && inner[i + 2] !== "(") {
        const end = balanced(inner, i + 2, "(", ")");
        this.nested.push(inner.slice(i + 2, end - 1));
        i = end;
      } else if (inner[i] === "`") {
        const end = inner.indexOf("`", i + 1);
        this.nested.push(inner.slice(i + 1, end));
        i = end + 1;
      } else i++;
    }
  }
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

function collect(text: string, into: { programs: string[]; functions: string[]; probed: string[] }): void {
  const reader = new Reader(text);
  const tokens = reader.tokens;
  const add = (list: string[], name: string) => {
    if (!list.includes(name)) list.push(name);
  };
  let expectCommand = true;
  let casePattern = false;
  let i = 0;
  const wordAt = (k: number) => (tokens[k]?.kind === "word" ? tokens[k].text : undefined);
  while (i < tokens.length) {
    const token = tokens[i];
    if (token.kind === "op") {
      if (CASE_ENDS.has(token.text)) {
        casePattern = true;
        expectCommand = false;
      } else if (token.text === ")" && casePattern) {
        casePattern = false;
        expectCommand = true;
      } else if (SEPARATORS.has(token.text)) {
        expectCommand = !casePattern;
      } else if (token.text === ")") {
        expectCommand = false;
      } else {
        // A redirection: its target is no command.
        i++;
      }
      i++;
      continue;
    }
    const word = token.text;
    if (casePattern) {
      if (token.plain && word === "esac") casePattern = false;
      i++;
      continue;
    }
    if (!expectCommand) {
      i++;
      continue;
    }
    if (token.plain && OPENERS.has(word)) {
      i++;
      continue;
    }
    if (token.plain && CLOSERS.has(word)) {
      expectCommand = false;
      i++;
      continue;
    }
    if (token.plain && word === "case") {
      // case WORD in: patterns follow.
      if (wordAt(i + 2) !== "in") throw new Error(`case without in: ${word} ${wordAt(i + 1)}`);
      casePattern = true;
      i += 3;
      continue;
    }
    if (token.plain && (word === "for" || word === "select")) {
      while (i < tokens.length && !(tokens[i].kind === "word" && tokens[i].text === "do")) i++;
      continue;
    }
    if (token.plain && word === "[[") {
      while (i < tokens.length && !(tokens[i].kind === "word" && tokens[i].text === "]]")) i++;
      expectCommand = false;
      i++;
      continue;
    }
    if (word.startsWith("((")) {
      expectCommand = false;
      i++;
      continue;
    }
    if (token.plain && word === "function") {
      add(into.functions, wordAt(i + 1) ?? "");
      i += 2;
      if (tokens[i]?.text === "(" && tokens[i + 1]?.text === ")") i += 2;
      continue;
    }
    if (ASSIGNMENT.test(word)) {
      i++;
      continue;
    }
    if (tokens[i + 1]?.kind === "op" && tokens[i + 1].text === "(" && tokens[i + 2]?.text === ")") {
      add(into.functions, word);
      i += 3;
      continue;
    }
    // A program, perhaps one that starts another.
    let k = i;
    for (;;) {
      const name = tokens[k].text;
      if (/[$`*?]/.test(name)) throw new Error(`a program named by an expansion or pattern: ${name}`);
      add(into.programs, name);
      if (!WRAPPERS.has(name)) break;
      k++;
      let probe = false;
      while (tokens[k]?.kind === "word" && (tokens[k].text.startsWith("-") || (name === "env" && ASSIGNMENT.test(tokens[k].text)))) {
        if (name === "command" && /^-[vV]$/.test(tokens[k].text)) probe = true;
        if ((name === "exec" && tokens[k].text === "-a") || (name === "timeout" && /^-[sk]$/.test(tokens[k].text))) k++;
        k++;
      }
      if (name === "timeout") k++;
      if (probe) {
        const probed = wordAt(k);
        if (probed !== undefined) add(into.probed, probed);
        break;
      }
      if (tokens[k]?.kind !== "word") break;
    }
    expectCommand = false;
    i = tokens[k]?.kind === "word" ? k + 1 : k;
  }
  for (const nested of reader.nested) collect(nested, into);
}

export function scriptPrograms(script: string): ScriptPrograms {
  const found = { programs: [] as string[], functions: [] as string[], probed: [] as string[] };
  const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(script);
  if (shebang !== null) {
    found.programs.push(shebang[1].split("/").pop()!);
    if (shebang[1].endsWith("/env") && shebang[2] !== undefined) found.programs.push(shebang[2]);
  }
  collect(script, found);
  return found;
}
