import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { expect } from "chai";
import * as ts from "typescript";

// The import rule of ARCHITECTURE.md, checked on every source file: each room names the rooms and
// packages it may import. A new import that crosses a wall fails here with the file and the import.

const ROOT = path.resolve(__dirname, "..");
const SOURCE_ROOTS = [
  "index.ts",
  "functions",
  "components",
  "local",
  "client",
  "browser",
  "examples/browser",
  "scripts",
  "bench",
];

interface Room {
  /** Repository paths (folders end with "/") this room's files may import besides their own room. */
  readonly rooms: readonly string[];
  /** npm packages (by name) the room may import; Node built-ins are a separate switch. */
  readonly packages: readonly string[] | "any";
  readonly nodeBuiltins: boolean;
}

const NO_PACKAGES: readonly string[] = [];

/** Most specific first: a file belongs to the first room whose path it starts with. */
const RULES: ReadonlyArray<readonly [string, Room]> = [
  ["functions/api/", { rooms: [], packages: NO_PACKAGES, nodeBuiltins: false }],
  ["functions/", { rooms: [], packages: ["jose", "@aws-sdk/client-s3"], nodeBuiltins: true }],
  ["browser/", { rooms: ["functions/api/"], packages: ["@uppy/core", "@uppy/aws-s3"], nodeBuiltins: false }],
  [
    "examples/browser/",
    { rooms: ["browser/"], packages: ["@uppy/core", "@uppy/aws-s3", "@uppy/dashboard"], nodeBuiltins: false },
  ],
  [
    "client/",
    {
      rooms: ["functions/api/"],
      packages: [
        "@aws-sdk/credential-provider-node",
        "@smithy/hash-node",
        "@smithy/signature-v4",
        "@smithy/types",
        "cli-progress",
      ],
      nodeBuiltins: true,
    },
  ],
  [
    "components/",
    {
      rooms: ["functions/"],
      packages: ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/tls", "esbuild", "@aws-sdk/client-s3"],
      nodeBuiltins: true,
    },
  ],
  [
    "local/",
    {
      rooms: [
        "functions/",
        "components/policies/",
        "scripts/build-browser.ts",
        "scripts/build-example.ts",
        "client/cli/env-options.ts",
      ],
      // tsx boots the edge worker thread from TypeScript sources.
      packages: ["tsx"],
      nodeBuiltins: true,
    },
  ],
  ["scripts/", { rooms: ["browser/"], packages: ["esbuild"], nodeBuiltins: true }],
  ["index.ts", { rooms: ["components/"], packages: ["@pulumi/pulumi"], nodeBuiltins: false }],
  [
    "bench/",
    {
      rooms: ["functions/", "components/", "local/", "client/", "bin/", "tests/support/"],
      packages: "any",
      nodeBuiltins: true,
    },
  ],
];

function roomOf(file: string): readonly [string, Room] {
  const rule = RULES.find(([prefix]) => file === prefix || file.startsWith(prefix));
  if (!rule) throw new Error(`no room for ${file}`);
  return rule;
}

function sourceFiles(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (entry.endsWith(".ts")) return [entry];
  return readdirSync(full, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|mts|mjs|js)$/.test(f) && !f.endsWith(".d.ts"))
    .map((f) => path.posix.join(entry, f.split(path.sep).join("/")));
}

function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec);
}

const BUILTINS = new Set(builtinModules);

/** Module specifiers of static imports and re-exports, `import()` and a bare `require()`/`require.resolve()`. */
function importsOf(file: string, text: string, withResolve = true): string[] {
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isRequire =
        (ts.isIdentifier(callee) && callee.text === "require") ||
        (ts.isPropertyAccessExpression(callee) &&
          ts.isIdentifier(callee.expression) &&
          callee.expression.text === "require" &&
          callee.name.text === "resolve" &&
          withResolve);
      const [first] = node.arguments;
      if (
        (isRequire || callee.kind === ts.SyntaxKind.ImportKeyword) &&
        first &&
        ts.isStringLiteralLike(first)
      ) {
        specs.push(first.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false));
  return specs;
}

/** Every import in `text`, the source of `file`, that the file's room does not allow, as `file -> import`. */
function violations(file: string, text = readFileSync(path.join(ROOT, file), "utf8")): string[] {
  const [prefix, room] = roomOf(file);
  const found: string[] = [];
  for (const spec of importsOf(file, text)) {
    if (spec.startsWith(".")) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const allowed = [prefix, ...room.rooms].some(
        (r) =>
          target === r || target.startsWith(r) || `${target}.ts` === r || target === r.replace(/\/$/, ""),
      );
      if (!allowed) found.push(`${file} -> ${spec}`);
    } else if (spec.startsWith("node:") || BUILTINS.has(spec)) {
      if (!room.nodeBuiltins) found.push(`${file} -> ${spec}`);
    } else if (room.packages !== "any" && !room.packages.includes(packageName(spec))) {
      found.push(`${file} -> ${spec}`);
    }
  }
  return found;
}

/** The repository file a relative import names, or undefined for a package. */
function resolveImport(file: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
  return [base, `${base}.ts`, `${base}/index.ts`].find((candidate) => existsSync(path.join(ROOT, candidate)));
}

/** Every import circle among `files`, each as the files around it. */
function circles(files: readonly string[]): string[][] {
  const edges = new Map(
    files.map((file) => [
      file,
      // require.resolve names a file to start (a worker thread), which loads nothing into this one.
      importsOf(file, readFileSync(path.join(ROOT, file), "utf8"), false)
        .map((spec) => resolveImport(file, spec))
        .filter((target): target is string => target !== undefined),
    ]),
  );
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === "open") found.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found;
}

describe("the import rule (ARCHITECTURE.md)", () => {
  const files = SOURCE_ROOTS.flatMap(sourceFiles);

  it("reads every source file of every room", () => {
    expect(files.length).to.be.above(140);
    for (const file of files) expect(() => roomOf(file), file).to.not.throw();
  });

  it("every import of every source file stays within what its room may import", () => {
    expect(files.flatMap((file) => violations(file))).to.deep.equal([]);
  });

  it("no import circles anywhere in the sources", () => {
    expect(circles(files)).to.deep.equal([]);
  });

  it("every file and folder ARCHITECTURE.md names exists", () => {
    const text = readFileSync(path.join(ROOT, "ARCHITECTURE.md"), "utf8");
    const named = [
      ...text.matchAll(/`((?:functions|components|local|client|browser|scripts|bench|tests)\/[^`*]*)`/g),
    ]
      .map((m) => m[1] ?? "")
      .filter((p) => !p.includes(" "));
    expect(named.length).to.be.above(40);
    const missing = named.filter((p) => !existsSync(path.join(ROOT, p)));
    expect(missing).to.deep.equal([]);
  });

  it("catches a crossing: a functions/ file importing the local stack, and browser/ importing node:fs", () => {
    const crossing = (file: string, text: string) => violations(file, text).length;
    expect(crossing("functions/handler.ts", 'import { x } from "../local/stack/stack";')).to.equal(1);
    expect(crossing("functions/handler.ts", 'const c = require("../components/index");')).to.equal(1);
    expect(crossing("functions/handler.ts", 'const m = await import("@pulumi/pulumi");')).to.equal(1);
    expect(crossing("index.ts", 'const issuer = config.require("jwtIssuer");')).to.equal(0);
    expect(crossing("browser/upload.ts", 'import { readFile } from "node:fs";')).to.equal(1);
    expect(crossing("examples/browser/app.ts", 'import { readFile } from "node:fs";')).to.equal(1);
    expect(crossing("examples/browser/app.ts", 'import { x } from "../../local/stack/stack";')).to.equal(1);
    expect(crossing("examples/browser/app.ts", 'import { Upload } from "../../browser/upload";')).to.equal(0);
    expect(crossing("client/api.ts", 'import * as pulumi from "@pulumi/pulumi";')).to.equal(1);
    expect(crossing("client/api.ts", 'import { validateKey } from "../functions/api/object-key";')).to.equal(
      0,
    );
  });
});
