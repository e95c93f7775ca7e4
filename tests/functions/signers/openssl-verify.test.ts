import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { functionUrlEvent } from "../../support/events";
import { baseConfig, harness, NOW_S } from "../../support/handler-harness";
import { ecdsaKey, rsaKey } from "../../support/keys";
import { VERSION_ID } from "../../support/objects";

/** The check a user can make by hand: the openssl binary verifies a GET redirect's signature. */
describe("a GET redirect verified with openssl", () => {
  for (const key of [ecdsaKey, rsaKey]) {
    for (const hash of ["SHA256", "SHA1"] as const) {
      it(`${key.name} / ${hash}: openssl says Verified OK, and refuses another resource`, async () => {
        const { handle } = harness(baseConfig({ hashAlgorithm: hash }), key);
        const result = await handle(functionUrlEvent("GET", "/photos/a%20cat.png"));
        const location = new URL(result.headers?.location ?? "");
        const signature = location.searchParams.get("Signature") ?? "";
        const resource = `https://d111111abcdef8.cloudfront.net/photos/a%20cat.png?versionId=${VERSION_ID}`;
        const policy = `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${NOW_S + 300}}}}]}`;
        const dir = mkdtempSync(join(tmpdir(), "sfs-openssl-"));
        try {
          writeFileSync(join(dir, "public.pem"), key.publicKey.export({ type: "spki", format: "pem" }));
          writeFileSync(join(dir, "policy.json"), policy);
          writeFileSync(join(dir, "other.json"), policy.replace("a%20cat", "a%20dog"));
          writeFileSync(
            join(dir, "signature.bin"),
            Buffer.from(signature.replace(/-/g, "+").replace(/_/g, "=").replace(/~/g, "/"), "base64"),
          );
          const run = (file: string) => {
            try {
              return execFileSync(
                "openssl",
                [
                  "dgst",
                  `-${hash.toLowerCase()}`,
                  "-verify",
                  "public.pem",
                  "-signature",
                  "signature.bin",
                  file,
                ],
                { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
              ).trim();
            } catch (error) {
              return String((error as { stdout?: string }).stdout ?? "").trim();
            }
          };
          expect(run("policy.json")).to.equal("Verified OK");
          expect(run("other.json")).to.equal("Verification failure");
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
