import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../bundle/function-bundle";
import { analyzeSchema } from "./schema";
import { SCHEMA_FILE } from "./schema-file";

// `npm run build` writes the schema beside the compiled provider, which serves it as it is.
const target = path.join(PROJECT_ROOT, "dist", "components", "provider", SCHEMA_FILE);
const schema = analyzeSchema();
mkdirSync(path.dirname(target), { recursive: true });
writeFileSync(target, `${schema}\n`);
process.stdout.write(`${path.relative(PROJECT_ROOT, target)} ${Buffer.byteLength(schema)} bytes\n`);
