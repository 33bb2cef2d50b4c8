/**
 * A small Dockerfile reader for tests that check an image's build without a Docker engine.
 * Handles comments, line continuations, stages and the exec (JSON) form; no heredocs.
 */

export interface Instruction {
  /** Upper-cased, e.g. "COPY". */
  keyword: string;
  /** Everything after the keyword, continuations joined with single spaces. */
  args: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

export interface Stage {
  /** The image reference after FROM, e.g. "quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}". */
  image: string;
  /** The `AS` name, if any. */
  name?: string;
  from: Instruction;
  /** The stage's instructions after FROM. */
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Instructions before the first FROM (global ARGs and parser directives are not kept). */
  preamble: Instruction[];
  stages: Stage[];
}

function instructions(text: string): Instruction[] {
  const result: Instruction[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  text.split("\n").forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const continued = trimmed.endsWith("\\");
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending ??= { parts: [], line: index + 1 };
    pending.parts.push(part);
    if (continued) return;
    const joined = pending.parts.filter((p) => p !== "").join(" ");
    const match = /^(\S+)\s*(.*)$/.exec(joined)!;
    result.push({ keyword: match[1].toUpperCase(), args: match[2], line: pending.line });
    pending = undefined;
  });
  return result;
}

export function parseDockerfile(text: string): Dockerfile {
  const dockerfile: Dockerfile = { preamble: [], stages: [] };
  for (const instruction of instructions(text)) {
    if (instruction.keyword === "FROM") {
      const match = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      dockerfile.stages.push({ image: match[1], name: match[2], from: instruction, instructions: [] });
    } else if (dockerfile.stages.length === 0) {
      dockerfile.preamble.push(instruction);
    } else {
      dockerfile.stages[dockerfile.stages.length - 1].instructions.push(instruction);
    }
  }
  return dockerfile;
}

/** The exec-form array of CMD/ENTRYPOINT/RUN, or undefined for the shell form. */
export function execForm(instruction: Instruction): string[] | undefined {
  if (!instruction.args.startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
    throw new Error(`line ${instruction.line}: ${instruction.keyword} is not a JSON array of strings`);
  }
  return parsed;
}

export interface CopyInstruction {
  /** Flags such as { from: "builder", chmod: "0755" }. */
  flags: Record<string, string>;
  sources: string[];
  destination: string;
}

export function parseCopy(instruction: Instruction): CopyInstruction {
  const words = instruction.args.split(/\s+/);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith("--")) {
    const [key, value = ""] = words.shift()!.slice(2).split("=", 2);
    flags[key] = value;
  }
  const destination = words.pop();
  if (destination === undefined || words.length === 0) {
    throw new Error(`line ${instruction.line}: COPY needs a source and a destination`);
  }
  return { flags, sources: words, destination };
}

/** `ARG NAME` / `ARG NAME=default` declarations of a list of instructions. */
export function argDeclarations(list: readonly Instruction[]): { name: string; hasDefault: boolean; line: number }[] {
  return list
    .filter((instruction) => instruction.keyword === "ARG")
    .flatMap((instruction) =>
      instruction.args.split(/\s+/).map((declaration) => ({
        name: declaration.split("=")[0],
        hasDefault: declaration.includes("="),
        line: instruction.line,
      })),
    );
}

/** Names set by ENV in a list of instructions (`ENV A=1 B=2` form). */
export function envNames(list: readonly Instruction[]): string[] {
  return list
    .filter((instruction) => instruction.keyword === "ENV")
    .flatMap((instruction) => [...instruction.args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]));
}

/** Variables referenced as $NAME, ${NAME} or ${NAME:-...} in a string. */
export function referencedVariables(text: string): string[] {
  return [...text.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))/g)].map((m) => m[1] ?? m[2]);
}
