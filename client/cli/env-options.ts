/**
 * Command-line options that fall back to the environment: `--api-url` reads `SFS_API_URL` when not
 * given. Shared by the `sfstore` CLI and the local stack, so both name their variables the same way.
 */
export function envOptionReader<Name extends string>(
  values: Readonly<Record<string, string | boolean | undefined>>,
) {
  const fromEnv = (name: Name) => process.env[`SFS_${name.toUpperCase().replace(/-/g, "_")}`];
  return {
    opt(name: Name): string | undefined {
      const value = values[name];
      return typeof value === "string" ? value : fromEnv(name);
    },
    flag(name: Name): boolean {
      return values[name] === true || /^(1|true|yes)$/i.test(fromEnv(name) ?? "");
    },
  };
}
