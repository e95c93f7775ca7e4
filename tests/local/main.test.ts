import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { type JwksFixture, startJwks } from "../support/jwks-server";

const ROOT = path.resolve(__dirname, "../..");
const run = promisify(execFile);

interface Started {
  readonly child: ChildProcess;
  readonly banner: string;
  readonly url: (label: string) => string;
  stop(): Promise<void>;
}

/** `npm start` without npm: the same entry point, options and environment. */
function startMain(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "local/main.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = new Promise<Started>((resolve, reject) => {
    const timer = setInterval(() => {
      if (!stderr.includes("Ctrl-C stops")) return;
      clearInterval(timer);
      const url = (label: string) =>
        new RegExp(`${label}\\s+(http://127\\.0\\.0\\.1:\\d+)`).exec(stderr)?.[1] ?? "";
      resolve({
        child,
        banner: stderr,
        url,
        stop: async () => {
          child.kill("SIGTERM");
          await exited;
        },
      });
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`exited ${code}: ${stderr}`));
    });
  });
  return { started, exited, stderr: () => stderr };
}

/** Runs one banner line in bash with the variables it says to export. */
async function shell(line: string, cwd: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run("bash", ["-c", line.trim()], { cwd, env: { ...process.env, ...env } });
  return stdout;
}

/** The banner line (trimmed) that starts with `start`. */
const bannerLine = (banner: string, start: string) =>
  banner
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.startsWith(start)) ?? "";
/** The command on a labelled example line: `upload     curl …` gives `curl …`. */
const example = (banner: string, label: string) => bannerLine(banner, `${label} `).slice(label.length);

describe("local stack start (local/main.ts)", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sfs-main-"));
    writeFileSync(path.join(dir, "cat.png"), "a cat, in bytes");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  /** Free ports and this test's data directory, then `args`. */
  const onFreePorts = (...args: string[]) => [
    "--port",
    "0",
    "--example-port",
    "0",
    "--data-dir",
    dir,
    ...args,
  ];

  it("iam: prints the exports sfstore --iam needs and a curl --aws-sigv4 line that works", async () => {
    const { started, stderr } = startMain(onFreePorts("--auth", "iam"));
    const stack = await started;
    try {
      const api = stack.url("API \\(function URL\\)");
      const { caller } = JSON.parse(readFileSync(path.join(dir, "local-secrets.json"), "utf8")) as {
        caller: { accessKeyId: string; secretAccessKey: string };
      };
      const tail = stack.banner.slice(stack.banner.indexOf("  auth iam:"));
      expect(
        tail,
      ).to.equal(`  auth iam: requests are SigV4-signed for service lambda in us-east-1 with the local caller's keys
    export AWS_ACCESS_KEY_ID=${caller.accessKeyId} AWS_SECRET_ACCESS_KEY=${caller.secretAccessKey} AWS_REGION=us-east-1
  upload     npm run -s sfs -- put cat.png photos/cat.png --iam --api-url ${api}
  download   npm run -s sfs -- get photos/cat.png back.png --iam --api-url ${api}
  delete     npm run -s sfs -- rm photos/cat.png --iam --api-url ${api}
  with curl, in JSON mode (the answer names the signed URL to send the file to):
             curl -sS --aws-sigv4 "aws:amz:us-east-1:lambda" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -X PUT -H 'Accept: application/json' ${api}/photos/cat.png

Ctrl-C stops; uploads in flight finish first.
`);
      const exports = bannerLine(stack.banner, "export ");
      const curl = bannerLine(stack.banner, 'curl -sS --aws-sigv4 "aws:amz:us-east-1:lambda"');
      const answer = JSON.parse(await shell(`${exports}; ${curl}`, dir)) as { method: string; url: string };
      expect(answer.method).to.equal("PUT");
      expect(new URL(answer.url).pathname).to.equal("/local-files/photos/cat.png");
      // Unsigned, the same request is refused: the line works because of the exports.
      expect(await shell(`curl -sS -X PUT ${api}/photos/cat.png`, dir)).to.equal('{"Message":"Forbidden"}');
      expect(stderr()).to.not.include("NodeVersionSupportWarning");
    } finally {
      await stack.stop();
    }
  });

  describe("jwt", () => {
    let jwks: JwksFixture;
    before(async () => {
      jwks = await startJwks();
    });
    after(() => jwks.close());

    it("prints curl lines with the bearer token under the token's own prefix, and they work", async () => {
      const { started } = startMain(
        onFreePorts(
          ...["--auth", "jwt", "--jwt-issuer", jwks.issuer],
          ...["--jwt-audience", jwks.audience, "--jwt-jwks-url", jwks.url],
        ),
      );
      const stack = await started;
      try {
        const api = stack.url("API \\(function URL\\)");
        const tail = stack.banner.slice(stack.banner.indexOf("  auth jwt:"));
        const key = `"${api}/$SUB/cat.png"`;
        expect(
          tail,
        ).to.equal(`  auth jwt: a token from ${jwks.issuer} for audience ${jwks.audience} (keys from ${jwks.url});
  it may write under {sub}/ and read under {sub}/
    export TOKEN=<the token> SUB=<its sub claim>
  upload     curl -L -T cat.png -H "authorization: Bearer $TOKEN" ${key}
  download   curl -L -o back.png -H "authorization: Bearer $TOKEN" ${key}
  delete     curl -L -X DELETE -H "authorization: Bearer $TOKEN" ${key}
  any size, with progress, parallel parts and resume (the sfstore CLI):
             npm run -s sfs -- put big.bin "$SUB/big.bin" --token "$TOKEN" --api-url ${api}

Ctrl-C stops; uploads in flight finish first.
`);
        const env = { TOKEN: await jwks.sign({ sub: "alice" }), SUB: "alice" };
        await shell(`${example(stack.banner, "upload")} --fail -sS`, dir, env);
        await shell(`${example(stack.banner, "download")} --fail -sS`, dir, env);
        expect(readFileSync(path.join(dir, "back.png"), "utf8")).to.equal("a cat, in bytes");
      } finally {
        await stack.stop();
      }
    });
  });

  describe("jwt with no issuer: the development issuer", () => {
    it("prints a ready token and two ways to get another, and every line works as printed", async () => {
      const { started } = startMain(onFreePorts("--auth", "jwt", "--issuer-port", "0"));
      const stack = await started;
      try {
        const api = stack.url("API \\(function URL\\)");
        const issuer = /development issuer (http:\/\/127\.0\.0\.1:\d+)\//.exec(stack.banner)?.[1] ?? "";
        const tail = stack.banner
          .slice(stack.banner.indexOf("  auth jwt"))
          .replace(/TOKEN=[\w.-]+ SUB=dev/, "TOKEN=<token> SUB=dev")
          .replace(/valid until [\dT:.Z-]+:/, "valid until <an hour from now>:");
        const key = `"${api}/$SUB/cat.png"`;
        expect(
          tail,
        ).to.equal(`  auth jwt, development issuer ${issuer}/ (audience signed-file-store-local, keys at ${issuer}/.well-known/jwks.json)
  a token may write under {sub}/ and read under {sub}/,
  and needs the scope read to read, write to write, delete to delete and purge to purge
  a token for sub dev with scope read write delete, valid until <an hour from now>:
    export TOKEN=<token> SUB=dev
  another    npm run -s sfs -- token --sub alice --scope read,write --issuer-url ${issuer}
             export TOKEN=$(curl -sS -X POST -H 'content-type: application/json' -d '{"sub":"alice","scope":"read write"}' ${issuer}/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).token') SUB=alice
  upload     curl -L -T cat.png -H "authorization: Bearer $TOKEN" ${key}
  download   curl -L -o back.png -H "authorization: Bearer $TOKEN" ${key}
  delete     curl -L -X DELETE -H "authorization: Bearer $TOKEN" ${key}
  any size, with progress, parallel parts and resume (the sfstore CLI):
             npm run -s sfs -- put big.bin "$SUB/big.bin" --token "$TOKEN" --api-url ${api}

Ctrl-C stops; uploads in flight finish first.
`);
        const ready = bannerLine(stack.banner, "export TOKEN=ey");
        const another = bannerLine(stack.banner, "export TOKEN=$(curl");
        for (const exports of [ready, another]) {
          await shell(`${exports}; ${example(stack.banner, "upload")} --fail -sS`, dir);
          await shell(`${exports}; ${example(stack.banner, "download")} --fail -sS`, dir);
          expect(readFileSync(path.join(dir, "back.png"), "utf8")).to.equal("a cat, in bytes");
        }
        // alice's token reaches alice/ only: dev/ is another subject's prefix.
        const outside = await shell(
          `${another}; curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "authorization: Bearer $TOKEN" ${api}/dev/cat.png`,
          dir,
        );
        expect(outside).to.equal("403");
      } finally {
        await stack.stop();
      }
    });

    it("--issuer-host 0.0.0.0: refused in one line, exit 2, nothing started", async () => {
      const { exited, stderr } = startMain(onFreePorts("--auth", "jwt", "--issuer-host", "0.0.0.0"));
      expect(await exited).to.equal(2);
      expect(stderr()).to.equal(
        '--issuer-host must be a loopback address (127.0.0.1, ::1 or localhost), got "0.0.0.0": the development issuer gives a token to anyone who asks; use a real issuer (--jwt-issuer, --jwt-audience, --jwt-jwks-url) beyond this machine\n(npm start -- --help lists every option)\n',
      );
    });

    it("part of a real issuer's flags: the missing flags are named, not the config's fields", async () => {
      const { exited, stderr } = startMain(onFreePorts("--auth", "jwt", "--jwt-audience", "files"));
      expect(await exited).to.equal(2);
      expect(stderr().split("\n")[0]).to.equal(
        "--auth jwt with a real issuer needs --jwt-issuer, --jwt-audience and --jwt-jwks-url together (or none, for the development issuer); missing --jwt-issuer, --jwt-jwks-url",
      );
    });
  });

  it("--require-checksums (or SFS_REQUIRE_CHECKSUMS=1) says so in the banner", async () => {
    for (const [args, env] of [
      [["--require-checksums"], {}],
      [[], { SFS_REQUIRE_CHECKSUMS: "1" }],
    ] as const) {
      const { started } = startMain(onFreePorts(...args), env);
      const stack = await started;
      await stack.stop();
      expect(bannerLine(stack.banner, "every upload")).to.equal(
        "every upload must carry x-amz-checksum-crc64nvme or x-amz-checksum-sha256 (--require-checksums)",
      );
    }
  });

  it("public: the upload and download lines work as printed", async () => {
    const { started } = startMain(onFreePorts());
    const stack = await started;
    try {
      expect(stack.banner).to.include("(auth: public)");
      await shell(`${example(stack.banner, "upload")} --fail -sS`, dir);
      await shell(`${example(stack.banner, "download")} --fail -sS`, dir);
      expect(readFileSync(path.join(dir, "back.png"), "utf8")).to.equal("a cat, in bytes");
    } finally {
      await stack.stop();
    }
  });

  // Creating a multipart upload builds the handler's first S3 client, which is when the SDK warns.
  const sdkWarnings = async (env: Record<string, string | undefined>) => {
    const { started, stderr } = startMain(onFreePorts(), env);
    const stack = await started;
    try {
      const api = stack.url("API \\(function URL\\)");
      const response = await fetch(`${api}/videos/big.bin?uploads`, { method: "POST" });
      expect(response.status).to.equal(200);
    } finally {
      await stack.stop();
    }
    return stderr().split("NodeVersionSupportWarning").length - 1;
  };

  it("prints no AWS SDK Node.js version warning unless the SDK's own switch is set to false", async () => {
    expect(await sdkWarnings({})).to.equal(0);
    const major = Number(process.versions.node.split(".")[0]);
    expect(await sdkWarnings({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" })).to.equal(
      major < 22 ? 1 : 0,
    );
  });

  for (const [args, message] of [
    [
      ["--expiry-seconds", "100000"],
      "--expiry-seconds must not exceed --max-read-expiry-seconds (86400), got 100000",
    ],
    [
      ["--max-read-expiry-seconds", "60"],
      "--expiry-seconds must not exceed --max-read-expiry-seconds (60), got 300",
    ],
    [
      ["--max-read-expiry-seconds", "700000"],
      "--max-read-expiry-seconds must be between 1 and 604800, got 700000",
    ],
  ] as const) {
    it(`${args.join(" ")}: refused as the deployed function refuses it, exit 2`, async () => {
      const { exited, stderr } = startMain(onFreePorts(...args));
      expect(await exited).to.equal(2);
      expect(stderr().split("\n")[0]).to.equal(message);
    });
  }

  it("--max-read-expiry-seconds 604800 lets a read ask for a week-long URL", async () => {
    const { started } = startMain(onFreePorts("--max-read-expiry-seconds", "604800"));
    const stack = await started;
    try {
      const res = await fetch(`${stack.url("API \\(function URL\\)")}/cat.png?expires=604800`, {
        headers: { accept: "application/json" },
      });
      // The lifetime is checked before the key is looked up, so a missing key shows it was accepted.
      expect(res.status).to.equal(404);
      const refused = await fetch(`${stack.url("API \\(function URL\\)")}/cat.png?expires=604801`, {
        headers: { accept: "application/json" },
      });
      expect(refused.status).to.equal(400);
      expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal("InvalidExpires");
    } finally {
      await stack.stop();
    }
  });

  it("a stalled upload holds a stop up; a second Ctrl-C stops at once, exit 130", async () => {
    const { started, exited, stderr } = startMain(onFreePorts());
    const stack = await started;
    const api = stack.url("API \\(function URL\\)");
    const step = await fetch(`${api}/stalled.bin`, {
      method: "PUT",
      headers: { accept: "application/json", "upload-length": "1000" },
    });
    const { url, headers } = (await step.json()) as { url: string; headers: Record<string, string> };
    // Ten of the thousand bytes promised, then nothing.
    const upload = request(url, { method: "PUT", headers: { ...headers, "content-length": "1000" } });
    upload.on("error", () => {});
    upload.write(Buffer.alloc(10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    stack.child.kill("SIGINT");
    const waited = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve("waiting"), 1500)),
    ]);
    expect(waited).to.equal("waiting");
    stack.child.kill("SIGINT");
    expect(await exited).to.equal(130);
    const text = stderr();
    expect(text.slice(text.indexOf("\nSIGINT"))).to.equal(
      "\nSIGINT: finishing requests in flight (SIGINT again stops at once)...\n" +
        "\nSIGINT again: stopping now, without waiting for requests in flight\n",
    );
    upload.destroy();
  });

  describe("a port in use", () => {
    let busy: Server;
    let port: number;
    before(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
      port = (busy.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((resolve) => busy.close(() => resolve())));

    for (const option of [
      "port",
      "example-port",
      "edge-port",
      "cloudfront-port",
      "storage-port",
      "issuer-port",
    ]) {
      it(`--${option}: one line naming the option, exit 2, no stack trace`, async () => {
        const others = ["port", "example-port"].filter((o) => o !== option).flatMap((o) => [`--${o}`, "0"]);
        const jwt = option === "issuer-port" ? ["--auth", "jwt"] : [];
        const { exited, stderr } = startMain([
          `--${option}`,
          String(port),
          ...others,
          ...jwt,
          "--data-dir",
          dir,
        ]);
        expect(await exited).to.equal(2);
        const variable = `SFS_${option.toUpperCase().replace(/-/g, "_")}`;
        expect(stderr()).to.equal(`port ${port} is in use: start with --${option} N (or ${variable}=N)\n`);
      });
    }
  });
});
