/** The schema `npm run build` writes beside the compiled provider, which serves it (see schema.ts). */
export const SCHEMA_FILE = "schema.json";
