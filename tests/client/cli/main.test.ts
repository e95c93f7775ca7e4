import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Api } from "../../../client/api";
import { DEFAULT_RETRY } from "../../../client/retry";
import { uploadFile } from "../../../client/transfer/upload";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";
import { cliPath, fileSha256, MiB, makeFile, sfs, storeObjects } from "../../support/sfs-cli";

describe("sfstore CLI against the local stack", function () {
  this.timeout(600_000);
  let dir: string;
  let stack: LocalStack;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-cli-"));
    stack = await startLocalStack({ dataDir: join(dir, "data"), apiPort: 0, log: () => {} });
  });
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const common = () => [
    "--api-url",
    stack.apiUrl,
    "--state-dir",
    join(dir, "state"),
    "--json",
    "--no-progress",
  ];

  it("puts and gets 640 MiB byte-identical in 64 parallel parts of 10 MiB with peak RSS under 300 MB", async () => {
    const size = 640 * MiB;
    const file = join(dir, "large.bin");
    const expected = await makeFile(file, size);
    const put = await sfs(["put", file, "big/large.bin", ...common()]);
    expect(put.stderr).to.equal("");
    const uploaded = JSON.parse(put.stdout);
    // A large file's parts grow above the API's 8 MiB offer, to about 64 of them (choosePartSize).
    expect(uploaded).to.include({ command: "put", key: "big/large.bin", size, parts: 64 });
    expect(uploaded.checksum).to.include({ algorithm: "CRC64NVME", type: "FULL_OBJECT" });
    expect(uploaded.etag).to.match(/^"[0-9a-f]{32}-64"$/);
    rmSync(file);
    const back = join(dir, "large.back");
    const got = JSON.parse((await sfs(["get", "big/large.bin", back, ...common()])).stdout);
    expect(got).to.include({ command: "get", size });
    // The download is checked against the checksum storage verified the upload against.
    expect([got.verified, got.checksum]).to.deep.equal([true, uploaded.checksum]);
    expect(await fileSha256(back)).to.equal(expected);
    rmSync(back);
    console.log(
      `      peak RSS: put ${(uploaded.maxRssBytes / MiB).toFixed(0)} MiB, get ${(got.maxRssBytes / MiB).toFixed(0)} MiB`,
    );
    expect(uploaded.maxRssBytes).to.be.below(300 * 1000 * 1000);
    expect(got.maxRssBytes).to.be.below(300 * 1000 * 1000);
  });

  it("resumes an upload after the CLI is killed, keeping the parts already stored", async () => {
    const file = join(dir, "resume.bin");
    await makeFile(file, 256 * MiB);
    const stateDir = join(dir, "state");
    const args = ["put", file, "big/resume.bin", ...common(), "--concurrency", "1"];
    const child: ChildProcess = spawn(process.execPath, [await cliPath(), ...args], { stdio: "ignore" });
    // Killed once the upload is remembered and at least 4 parts are in the store: a poll on that
    // condition, with a limit that is only a safety net for a machine under load.
    let stored = 0;
    for (
      const started = Date.now();
      stored < 4 && child.exitCode === null && Date.now() - started < 180_000;
    ) {
      await new Promise((r) => setTimeout(r, 50));
      const states = existsSync(stateDir) ? readdirSync(stateDir) : [];
      if (states.length !== 1) continue;
      const { uploadId } = JSON.parse(readFileSync(join(stateDir, states[0] ?? ""), "utf8"));
      const res = await fetch(`${stack.apiUrl}/big/resume.bin?uploadId=${encodeURIComponent(uploadId)}`);
      stored = ((await res.json()) as { parts: unknown[] }).parts.length;
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(stored).to.be.at.least(4);

    const again = await sfs(args);
    expect(again.code, again.stderr).to.equal(0);
    const resumed = JSON.parse(again.stdout);
    expect(resumed.parts).to.equal(32);
    expect(resumed.resumedParts).to.be.at.least(stored);
    expect(resumed.resumedParts).to.be.below(32);
    expect(readdirSync(stateDir)).to.deep.equal([]);
    const back = join(dir, "resume.back");
    await sfs(["get", "big/resume.bin", back, ...common()]);
    expect(await fileSha256(back)).to.equal(await fileSha256(file));
  });

  it("stores the file name and the key's type, so downloads carry them", async () => {
    const file = join(dir, "Grüße 2026.bin");
    await makeFile(file, 1000);
    expect((await sfs(["put", file, "docs/report.pdf", ...common()])).code).to.equal(0);
    const step = (await (
      await fetch(`${stack.apiUrl}/docs/report.pdf`, { headers: { accept: "application/json" } })
    ).json()) as { url: string };
    const res = await fetch(step.url);
    expect(res.headers.get("content-type")).to.equal("application/pdf");
    expect(res.headers.get("content-disposition")).to.equal(
      `attachment; filename="Gr__e 2026.bin"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%202026.bin`,
    );
    expect(res.headers.get("x-amz-meta-sha256")).to.equal(null);
  });

  it("--if-absent refuses to replace an object, single and multipart, with S3's 412", async () => {
    const small = join(dir, "small.bin");
    await makeFile(small, 1000);
    expect((await sfs(["put", small, "once/small.bin", ...common()])).code).to.equal(0);
    const again = await sfs(["put", small, "once/small.bin", ...common(), "--if-absent"]);
    expect(again.code).to.equal(1);
    const cause =
      "sfstore: likely cause: the key already holds an object and --if-absent was given: pick another key, or drop --if-absent to replace it\n";
    expect(again.stderr).to.equal(`sfstore: 412 PreconditionFailed from storage\n${cause}`);

    const large = join(dir, "large.bin");
    await makeFile(large, 20 * MiB);
    expect((await sfs(["put", large, "once/large.bin", ...common()])).code).to.equal(0);
    const uploads = () => {
      const held = join(dir, "data", "multipart", "local-files");
      return existsSync(held) ? readdirSync(held).sort() : [];
    };
    const uploadsBefore = uploads();
    const twice = await sfs(["put", large, "once/large.bin", ...common(), "--if-absent"]);
    expect(twice.code).to.equal(1);
    expect(twice.stderr).to.equal(
      `sfstore: 412 PreconditionFailed: once/large.bin already holds an object; nothing was sent\n${cause}`,
    );
    // Refused before an upload was created: no parts stored, no saved state to resume.
    expect(uploads()).to.deep.equal(uploadsBefore);
    expect(existsSync(join(dir, "state")) ? readdirSync(join(dir, "state")) : []).to.deep.equal([]);
  });

  it("put --if-absent: a key written while the parts were sent fails the completion with 412, and the upload is aborted", async () => {
    const file = join(dir, "raced.bin");
    await makeFile(file, 11 * MiB);
    const held = join(dir, "data", "multipart", "local-files");
    const uploads = () => (existsSync(held) ? readdirSync(held).sort() : []);
    const before = uploads();
    // Another writer gets there between the check before the upload and its completion.
    class RacedApi extends Api {
      override async complete(...args: Parameters<Api["complete"]>) {
        await storeObjects(stack.apiUrl, [["race/k.bin", "the other writer's"]]);
        return super.complete(...args);
      }
    }
    const notices: string[] = [];
    const stateDir = join(dir, "state-raced");
    const outcome = await uploadFile(
      new RacedApi(stack.apiUrl, { kind: "none" }, DEFAULT_RETRY),
      file,
      "race/k.bin",
      {
        createOnly: true,
        multipartThreshold: 1,
        concurrency: 2,
        stateDir,
        retry: DEFAULT_RETRY,
        onNotice: (message) => notices.push(message),
      },
    ).then(
      () => "completed",
      (error: Error) => error.message,
    );
    expect(outcome).to.equal(
      "412 PreconditionFailed: the object already exists and If-None-Match: * was given",
    );
    expect(notices).to.deep.equal([
      "discarded the upload of race/k.bin: the key was written meanwhile and --if-absent was given",
    ]);
    expect(readdirSync(stateDir)).to.deep.equal([]);
    expect(uploads()).to.deep.equal(before);
    const read = await fetch(`${stack.apiUrl}/race/k.bin`);
    expect(await read.text()).to.equal("the other writer's");
  });

  it("rm deletes, and get of a missing key fails with the API's 404, leaving no file", async () => {
    const file = join(dir, "gone.bin");
    await makeFile(file, 10);
    await sfs(["put", file, "tmp/gone.bin", ...common()]);
    expect(JSON.parse((await sfs(["rm", "tmp/gone.bin", ...common()])).stdout)).to.include({
      command: "rm",
      key: "tmp/gone.bin",
    });
    const missing = await sfs(["get", "tmp/gone.bin", join(dir, "gone.back"), ...common()]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal(
      "sfstore: 404 NoSuchKey: no object at tmp/gone.bin\n" +
        "sfstore: likely cause: nothing is stored under this key: check its spelling (keys are case-sensitive) or whether it was deleted\n",
    );
    expect(existsSync(join(dir, "gone.back"))).to.equal(false);
    expect(existsSync(join(dir, "gone.back.partial"))).to.equal(false);
    // Removing it again says so and adds no second delete marker.
    const again = await sfs(["rm", "tmp/gone.bin", ...common()]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.equal("sfstore: no object at tmp/gone.bin; nothing removed\n");
    const listed = await fetch(`${stack.apiUrl}/tmp/gone.bin?versions`, {
      headers: { accept: "application/json" },
    });
    const { versions } = (await listed.json()) as { versions: Array<{ deleteMarker: boolean }> };
    expect(versions.map((v) => v.deleteMarker)).to.deep.equal([true, false]);
  });

  it("shows progress with throughput and ETA when asked, even without a terminal", async () => {
    const file = join(dir, "progress.bin");
    await makeFile(file, 20 * MiB);
    const put = await sfs([
      "put",
      file,
      "p/progress.bin",
      "--api-url",
      stack.apiUrl,
      "--state-dir",
      join(dir, "state"),
      "--progress",
    ]);
    expect(put.code).to.equal(0);
    const lines = put.stderr.split("\n").filter((l) => l.startsWith("upload ["));
    expect(lines.length).to.be.at.least(1);
    expect(lines.at(-1)).to.match(
      /^upload \[=+\] 100% \| 20\.0 MiB \/ 20\.0 MiB \| [\d.]+ MiB\/s \| ETA 0s$/,
    );
    expect(put.stdout).to.match(
      /^uploaded .*progress\.bin to p\/progress\.bin: 20971520 bytes in 3 part\(s\), crc64nvme [A-Za-z0-9+/]{11}=\n$/,
    );
  });

  it("puts and gets an empty file", async () => {
    const file = join(dir, "empty.txt");
    await makeFile(file, 0);
    const put = await sfs(["put", file, "tmp/empty.txt", ...common()]);
    expect(put.stderr).to.equal("");
    const uploaded = JSON.parse(put.stdout);
    expect(uploaded).to.include({ size: 0, parts: 1 });
    expect(uploaded.checksum).to.deep.equal({
      algorithm: "CRC64NVME",
      type: "FULL_OBJECT",
      value: "AAAAAAAAAAA=",
    });
    const got = await sfs(["get", "tmp/empty.txt", join(dir, "empty.back"), ...common()]);
    expect(JSON.parse(got.stdout)).to.include({ size: 0 });
    expect(readFileSync(join(dir, "empty.back")).length).to.equal(0);
  });

  it("prints usage and exits 2 for a bad command line", async () => {
    const bad = await sfs(["put", "only-one-arg"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.split("\n")[0]).to.equal("sfstore: usage: sfstore put FILE KEY");
  });
});
