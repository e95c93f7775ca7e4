import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { startLocalStack } from "../../../local/stack/stack";
import { startJwks } from "../../support/jwks-server";
import { cliOptions, fileSha256, MiB, makeFile, sfs } from "../../support/sfs-cli";

describe("sfstore CLI authentication", function () {
  this.timeout(600_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sfs-cli-auth-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("signs with SigV4 (--iam) for an AWS_IAM function URL; unsigned requests get 403", async () => {
    const stack = await startLocalStack({
      dataDir: join(dir, "iam"),
      apiPort: 0,
      auth: { mode: "iam" },
      log: () => {},
    });
    try {
      const caller = stack.iamCaller;
      if (!caller) throw new Error("the iam stack has no caller");
      const env = {
        AWS_ACCESS_KEY_ID: caller.accessKeyId,
        AWS_SECRET_ACCESS_KEY: caller.secretAccessKey,
        AWS_REGION: "us-east-1",
        AWS_CONFIG_FILE: join(dir, "none"),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
      };
      const file = join(dir, "iam.bin");
      await makeFile(file, 20 * MiB);
      const base = cliOptions(stack.apiUrl, dir);
      const put = await sfs(["put", file, "iam/file.bin", ...base, "--iam"], env);
      expect(put.code, put.stderr).to.equal(0);
      expect(JSON.parse(put.stdout).parts).to.equal(3);
      const got = await sfs(["get", "iam/file.bin", join(dir, "iam.back"), ...base, "--iam"], env);
      expect(got.code, got.stderr).to.equal(0);
      expect(await fileSha256(join(dir, "iam.back"))).to.equal(await fileSha256(file));
      const unsigned = await sfs(["get", "iam/file.bin", join(dir, "x"), ...base]);
      expect(unsigned.code).to.equal(1);
      const refused =
        "sfstore: 403 HttpError: Forbidden\n" +
        "sfstore: likely cause: the function URL refused the request before the function ran: with auth iam, sign with --iam and credentials allowed lambda:InvokeFunctionUrl and lambda:InvokeFunction\n";
      expect(unsigned.stderr).to.equal(refused);
      const wrongSecret = await sfs(["rm", "iam/file.bin", ...base, "--iam"], {
        ...env,
        AWS_SECRET_ACCESS_KEY: "wrong",
      });
      expect(wrongSecret.stderr).to.equal(refused);
    } finally {
      await stack.stop();
    }
  });

  it("sends a bearer token (--token) for auth mode jwt; a token for someone else gets 403", async () => {
    const jwks = await startJwks();
    const stack = await startLocalStack({
      dataDir: join(dir, "jwt"),
      apiPort: 0,
      auth: {
        mode: "jwt",
        issuer: jwks.issuer,
        audience: jwks.audience,
        jwksUrl: jwks.url,
        rules: { read: ["{sub}/"], write: ["{sub}/"], delete: ["{sub}/"] },
      },
      log: () => {},
    });
    try {
      const token = await jwks.sign({ sub: "alice" });
      const file = join(dir, "jwt.bin");
      await makeFile(file, 20 * MiB);
      const base = cliOptions(stack.apiUrl, dir);
      const put = await sfs(["put", file, "alice/file.bin", ...base, "--token", token]);
      expect(put.code, put.stderr).to.equal(0);
      const got = await sfs(["get", "alice/file.bin", join(dir, "jwt.back"), ...base], { SFS_TOKEN: token });
      expect(got.code, got.stderr).to.equal(0);
      expect(await fileSha256(join(dir, "jwt.back"))).to.equal(await fileSha256(file));
      const other = await sfs(["put", file, "bob/file.bin", ...base, "--token", token]);
      expect(other.code).to.equal(1);
      expect(other.stderr).to.equal(
        'sfstore: 403 Forbidden: this token may not write "bob/file.bin"\n' +
          "sfstore: likely cause: the token's rules do not let it do this to this key: check the key's prefix, or use a token that may\n",
      );
    } finally {
      await stack.stop();
      await jwks.close();
    }
  });
});
