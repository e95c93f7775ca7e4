import { parseArgs } from "node:util";
import { OPTIONS, type OptionName, UsageError } from "./args";

export interface ParsedLine {
  readonly values: Partial<Record<OptionName, string | boolean>>;
  readonly positionals: readonly string[];
}

type Token = NonNullable<ReturnType<typeof parseArgs>["tokens"]>[number];

/**
 * Commands whose positional at this index (after the command's name) is an opaque value that may
 * begin with "-": a version ID is any URL-safe text to S3, and `sfstore restore KEY -abc` must restore
 * that version rather than fail on an option -a.
 */
const DASH_VALUE_AT: Readonly<Record<string, number>> = { restore: 1 };

const isKnown = (name: string): name is OptionName => Object.hasOwn(OPTIONS, name);

/**
 * The command line read as `sfstore` means it: the value of an option that takes one is always the next
 * argument (`--version -abc`), everything after `--` is positional, and a positional where the
 * command expects a version ID is taken whole even when it begins with "-". Anything else that
 * looks like an option and is not one is refused, so a mistyped option never becomes a key.
 */
export function parseCommandLine(argv: readonly string[]): ParsedLine {
  const { tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const values: Partial<Record<OptionName, string | boolean>> = {};
  const positionals: string[] = [];
  // A group like -abc is one token per letter, all with the argument's index.
  const taken = new Set<number>();
  for (const token of tokens as Token[]) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const name = token.name;
    if (isKnown(name)) {
      const spec = OPTIONS[name];
      if (spec.type === "string") {
        if (token.value === undefined) throw new UsageError(`option ${token.rawName} needs a value`);
        values[name] = token.value;
        continue;
      }
      // One letter of a group like -rxq that is not all options leaves the whole argument in question.
      const arg = argv[token.index] ?? "";
      if (arg.startsWith("--") || isShortGroupOfKnown(arg)) {
        if (token.inlineValue) throw new UsageError(`option ${token.rawName} takes no value`);
        values[name] = true;
        continue;
      }
    }
    if (taken.has(token.index)) continue;
    taken.add(token.index);
    const arg = argv[token.index] ?? token.rawName;
    const [command] = positionals;
    const slot = command === undefined ? undefined : DASH_VALUE_AT[command];
    if (slot !== undefined && positionals.length === slot + 1) {
      positionals.push(arg);
      continue;
    }
    throw new UsageError(`unknown option ${arg} (a key or version ID that begins with "-" goes after "--")`);
  }
  return { values, positionals };
}

/** `-rl`: every letter a known boolean option's short name. */
function isShortGroupOfKnown(arg: string): boolean {
  if (!/^-[^-]/.test(arg)) return false;
  const shorts = new Set<string>(
    Object.values(OPTIONS).flatMap((spec) =>
      "short" in spec && spec.type === "boolean" ? [spec.short] : [],
    ),
  );
  return [...arg.slice(1)].every((letter) => shorts.has(letter));
}
