import { createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { generateKeyPair, SignJWT } from "jose";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";

/** `--auth jwt` with no issuer: the stack's own development issuer, end to end. */
describe("local stack, jwt mode with the development issuer", function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-dev-jwt-"));
    stack = await startLocalStack({
      dataDir,
      apiPort: 0,
      auth: { mode: "jwt" },
      issuerPort: 0,
      log: () => {},
    });
  });
  after(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const issuerUrl = () => stack.devIssuer?.issuer ?? "";
  async function token(sub: string, scope: string): Promise<string> {
    const res = await fetch(`${issuerUrl()}token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub, scope }),
    });
    expect(res.status).to.equal(200);
    return ((await res.json()) as { token: string }).token;
  }
  const put = async (key: string, bearer: string) => {
    const res = await fetch(`${stack.apiUrl}/${key}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${bearer}` },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text() };
  };

  it("the function trusts the issuer's tokens: its audience, ES256, {sub}/ and a scope per action", () => {
    const issuer = issuerUrl();
    expect(issuer).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(stack.handlerConfig.auth).to.deep.equal({
      mode: "jwt",
      issuer,
      audience: "signed-file-store-local",
      jwksUrl: `${issuer}.well-known/jwks.json`,
      algorithms: ["ES256"],
      rules: { read: ["{sub}/"], write: ["{sub}/"], delete: ["{sub}/"] },
      scopes: { read: "read", write: "write", delete: "delete", purge: "purge" },
    });
  });

  it("a token from /token writes under its subject's prefix (307) and nowhere else (403)", async () => {
    const alice = await token("alice", "read write");
    const own = await put("alice/cat.png", alice);
    expect(own.status).to.equal(307);
    const other = await put("bob/cat.png", alice);
    expect(other.status).to.equal(403);
    expect(JSON.parse(other.body).error.code).to.equal("Forbidden");
  });

  it("scopes rule each action: a read-only token cannot write; purge needs the purge scope, and then purges", async () => {
    const reader = await token("alice", "read");
    const refused = await put("alice/cat.png", reader);
    expect(refused.status).to.equal(403);
    expect(JSON.parse(refused.body)).to.deep.equal({
      error: { code: "Forbidden", message: "write needs the scope 'write' in the token" },
    });
    const writer = await token("alice", "read write delete");
    const stored = await fetch(`${stack.apiUrl}/alice/purged.txt`, {
      method: "PUT",
      headers: { authorization: `Bearer ${writer}` },
      body: "bytes",
    });
    expect(stored.status).to.equal(200);
    const purge = (bearer: string) =>
      fetch(`${stack.apiUrl}/alice/purged.txt?purge`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${bearer}` },
      });
    const withoutScope = await purge(writer);
    expect(withoutScope.status).to.equal(403);
    expect(await withoutScope.json()).to.deep.equal({
      error: { code: "Forbidden", message: "purge needs the scope 'purge' in the token" },
    });
    const purged = await purge(await token("alice", "delete purge"));
    expect(purged.status).to.equal(200);
    expect(await purged.json()).to.deep.include({ key: "alice/purged.txt", deletedVersions: 1 });
  });

  it("a token signed by another key is refused with 401", async () => {
    const stranger = await generateKeyPair("ES256");
    const forged = await new SignJWT({ sub: "alice", scope: "read write" })
      .setProtectedHeader({ alg: "ES256" })
      .setIssuer(issuerUrl())
      .setAudience("signed-file-store-local")
      .setExpirationTime("10m")
      .sign(stranger.privateKey);
    expect((await put("alice/cat.png", forged)).status).to.equal(401);
  });

  it("its key is the one kept in the data directory (local-secrets.json), so its tokens outlive a restart", async () => {
    const { issuerKeyPem } = JSON.parse(readFileSync(join(dataDir, "local-secrets.json"), "utf8")) as {
      issuerKeyPem: string;
    };
    const published = (await (await fetch(stack.devIssuer?.jwksUrl ?? "")).json()) as {
      keys: { x: string; y: string }[];
    };
    const own = createPublicKey(issuerKeyPem).export({ format: "jwk" });
    expect(published.keys.map((k) => [k.x, k.y])).to.deep.equal([[own.x, own.y]]);
  });
});
