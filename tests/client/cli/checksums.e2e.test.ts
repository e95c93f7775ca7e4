/**
 * sfstore and the Node client against the local stack, for what needs the function to sign checksums
 * into the URLs it answers and to report `object.checksum`, and the storage to verify and keep them
 * (CONTRACTS.md §1): end to end, once those are in place.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SignedFileStoreClient } from "../../../client/index";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";
import { awsCrc64 } from "../../support/aws-crc";
import { cliOptions, MiB, makeFile, sfs } from "../../support/sfs-cli";
import { corruptStoredByte } from "../../support/stored-files";

describe("sfstore and checksums against the local stack (e2e)", function () {
  this.timeout(240_000);
  let dir: string;
  let stack: LocalStack;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-checksums-e2e-"));
    stack = await startLocalStack({ dataDir: join(dir, "data"), apiPort: 0, log: () => {} });
  });
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const json = () => cliOptions(stack.apiUrl, dir);
  const fileCrc = (file: string) => awsCrc64(readFileSync(file));

  it("put of 64 MiB in parts: the checksum in the API's answer is the file's CRC64NVME, computed apart", async () => {
    const file = join(dir, "sixty-four.bin");
    await makeFile(file, 64 * MiB);
    const put = await sfs(["put", file, "sums/sixty-four.bin", ...json()]);
    expect(put.stderr).to.equal("");
    const expected = { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: await fileCrc(file) };
    expect(JSON.parse(put.stdout)).to.deep.include({ parts: 8, checksum: expected });
    const answer = await fetch(`${stack.apiUrl}/sums/sixty-four.bin`, {
      headers: { accept: "application/json" },
    });
    expect(((await answer.json()) as { object: { checksum: unknown } }).object.checksum).to.deep.equal(
      expected,
    );
    const stat = JSON.parse((await sfs(["stat", "sums/sixty-four.bin", ...json()])).stdout);
    expect(stat.checksum).to.deep.equal(expected);
    const listed = await fetch(`${stack.apiUrl}/sums/`, { headers: { accept: "application/json" } });
    const { objects } = (await listed.json()) as { objects: Array<{ key: string; checksum?: unknown }> };
    expect(objects.find((o) => o.key === "sums/sixty-four.bin")?.checksum).to.deep.equal({
      algorithm: "CRC64NVME",
      type: "FULL_OBJECT",
    });
  });

  it("a single PUT's checksum is the file's, and get says it verified the download against it", async () => {
    const file = join(dir, "one.bin");
    await makeFile(file, 3 * MiB + 5);
    const value = await fileCrc(file);
    const put = JSON.parse((await sfs(["put", file, "sums/one.bin", ...json()])).stdout);
    expect(put.checksum).to.deep.equal({ algorithm: "CRC64NVME", type: "FULL_OBJECT", value });
    const dest = join(dir, "one.back");
    const got = await sfs(["get", "sums/one.bin", dest, "--api-url", stack.apiUrl]);
    expect(got).to.deep.equal({
      code: 0,
      stdout: `downloaded sums/one.bin to ${dest}: ${3 * MiB + 5} bytes, crc64nvme ${value} (verified)\n`,
      stderr: "",
    });
  });

  it("one byte gone bad in the storage's file on disk: get fails naming both values, exit 1, and leaves no file", async () => {
    const file = join(dir, "rot.bin");
    await makeFile(file, 2 * MiB);
    expect((await sfs(["put", file, "sums/rot.bin", ...json()])).code).to.equal(0);
    await corruptStoredByte(join(dir, "data"), "sums/rot.bin", 123_456);
    const bad = readFileSync(file);
    bad[123_456] = (bad[123_456] ?? 0) ^ 0x01;
    const dest = join(dir, "rot.back");
    const got = await sfs(["get", "sums/rot.bin", dest, "--api-url", stack.apiUrl]);
    expect(got.code).to.equal(1);
    expect(got.stderr.split("\n")[0]).to.equal(
      `sfstore: sums/rot.bin: the downloaded bytes have CRC64NVME ${await awsCrc64(bad)}, but the store's checksum is ${await fileCrc(file)}; the download was discarded`,
    );
    expect(existsSync(dest)).to.equal(false);
    expect(existsSync(`${dest}.partial`)).to.equal(false);
  });

  it("the Node client's get and stat give the same checksum; a purge removes every version", async () => {
    const client = new SignedFileStoreClient({ apiUrl: stack.apiUrl });
    const file = join(dir, "purged.bin");
    for (const size of [1000, 2000]) {
      await makeFile(file, size);
      await client.put(file, "sums/purged.bin", { stateDir: join(dir, "state") });
    }
    const got = await client.get("sums/purged.bin", join(dir, "purged.back"));
    expect(got).to.include({ verified: true, size: 2000 });
    expect(got.checksum?.value).to.equal(await fileCrc(file));
    expect((await client.stat("sums/purged.bin")).checksum).to.deep.equal(got.checksum);
    const purged = await sfs(["rm", "--purge", "sums/purged.bin", "--api-url", stack.apiUrl]);
    expect(purged.code, purged.stderr).to.equal(0);
    expect(purged.stdout.split("\n")[0]).to.equal("purged sums/purged.bin: 2 versions deleted");
    expect(purged.stdout.split("\n")[1]).to.match(
      /^1 key purged, 2 versions deleted; CDN invalidation \S+ \(InProgress, 1 path\)$/,
    );
    const versions = await sfs(["versions", "sums/purged.bin", "--api-url", stack.apiUrl]);
    expect(versions.stderr).to.equal('sfstore: no version of "sums/purged.bin" is stored\n');
  });
});
