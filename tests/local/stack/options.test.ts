import * as path from "node:path";
import { expect } from "chai";
import { parseStackArgs, UsageError } from "../../../local/stack/options";

const refusal = (args: string[]) => {
  try {
    parseStackArgs(args);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  return "accepted";
};

describe("local stack options (npm start -- ...)", () => {
  it("defaults: public, the ports of the README, 30 and 7 lifecycle days, checksums optional", () => {
    expect(parseStackArgs([])).to.deep.equal({
      options: {
        dataDir: path.resolve(".data"),
        apiPort: 3000,
        edgePort: 0,
        cloudFrontPort: 0,
        storagePort: 0,
        examplePort: 3001,
        uploads: {
          maxUploadBytes: 5 * 1024 ** 4,
          allowedContentTypes: [],
          allowedMetadata: [],
          partSizeBytes: 8 * 1024 * 1024,
          requireChecksum: false,
        },
        expirySeconds: 300,
        auth: { mode: "public" },
        publicReadPrefixes: [],
        corsOrigins: [],
        storage: {
          lifecycle: { noncurrentVersionExpirationDays: 30, abortIncompleteMultipartUploadDays: 7 },
        },
      },
      ports: {
        port: 3000,
        "edge-port": 0,
        "cloudfront-port": 0,
        "storage-port": 0,
        "example-port": 3001,
        "issuer-port": 3002,
      },
    });
    expect(parseStackArgs(["--help"])).to.equal(undefined);
  });

  it("--require-checksums, or SFS_REQUIRE_CHECKSUMS=1, makes the function require a checksum on every write", () => {
    expect(parseStackArgs(["--require-checksums"])?.options.uploads?.requireChecksum).to.equal(true);
    process.env.SFS_REQUIRE_CHECKSUMS = "1";
    try {
      expect(parseStackArgs([])?.options.uploads?.requireChecksum).to.equal(true);
    } finally {
      delete process.env.SFS_REQUIRE_CHECKSUMS;
    }
  });

  it("the lifecycle days go to the storage as given, and must be whole days of at least 1", () => {
    const parsed = parseStackArgs([
      "--noncurrent-version-expiration-days",
      "1",
      "--abort-incomplete-multipart-upload-days",
      "2",
    ]);
    expect(parsed?.options.storage).to.deep.equal({
      lifecycle: { noncurrentVersionExpirationDays: 1, abortIncompleteMultipartUploadDays: 2 },
    });
    expect(refusal(["--noncurrent-version-expiration-days", "0"])).to.equal(
      '--noncurrent-version-expiration-days must be a whole number of at least 1, got "0"',
    );
    expect(refusal(["--abort-incomplete-multipart-upload-days", "1.5"])).to.equal(
      '--abort-incomplete-multipart-upload-days must be a whole number of at least 1, got "1.5"',
    );
  });

  it("--auth jwt alone asks for the development issuer, on --issuer-port (default 3002)", () => {
    expect(parseStackArgs(["--auth", "jwt"])?.options).to.deep.include({
      auth: { mode: "jwt", rules: { read: ["{sub}/"], write: ["{sub}/"] } },
      issuerPort: 3002,
    });
    expect(
      parseStackArgs(["--auth", "jwt", "--issuer-port", "4002", "--issuer-host", "::1"])?.options,
    ).to.deep.include({
      issuerPort: 4002,
      issuerHost: "::1",
    });
  });

  const realIssuer = ["--jwt-issuer", "https://issuer.example/", "--jwt-audience", "files"];
  for (const [args, message] of [
    [
      ["--auth", "jwt", "--jwt-issuer", "https://issuer.example/"],
      "--auth jwt with a real issuer needs --jwt-issuer, --jwt-audience and --jwt-jwks-url together (or none, for the development issuer); missing --jwt-audience, --jwt-jwks-url",
    ],
    [
      ["--auth", "jwt", ...realIssuer, "--jwt-jwks-url", "ftp://issuer.example/keys"],
      '--jwt-jwks-url must be an http(s) URL, got "ftp://issuer.example/keys"',
    ],
    [
      ["--auth", "jwt", "--jwt-read", "docs"],
      '--jwt-read must end with "/" so that it names a folder, got "docs"',
    ],
    [["--auth", "oauth"], '--auth must be one of iam, jwt, public, got "oauth"'],
    [
      ["--auth", "jwt", "--issuer-host", "0.0.0.0"],
      '--issuer-host must be a loopback address (127.0.0.1, ::1 or localhost), got "0.0.0.0": the development issuer gives a token to anyone who asks; use a real issuer (--jwt-issuer, --jwt-audience, --jwt-jwks-url) beyond this machine',
    ],
    [["--port=-1"], '--port must be a whole number, got "-1"'],
    [["--s3-endpoint", "http://127.0.0.1:9000"], "--s3-endpoint needs --s3-bucket"],
    [["--verbose"], "Unknown option '--verbose'"],
  ] as const) {
    it(`${args.join(" ")}: ${message.split(":")[0]}`, () => {
      expect(refusal([...args])).to.equal(message);
    });
  }

  it("a real issuer stays one set of flags away, with its rules", () => {
    const auth = parseStackArgs([
      "--auth",
      "jwt",
      ...realIssuer,
      "--jwt-jwks-url",
      "https://issuer.example/keys",
      "--jwt-write",
      "{sub}/,shared/",
    ])?.options.auth;
    expect(auth).to.deep.include({
      mode: "jwt",
      issuer: "https://issuer.example/",
      audience: "files",
      jwksUrl: "https://issuer.example/keys",
      rules: { read: ["{sub}/"], write: ["{sub}/", "shared/"], delete: ["{sub}/", "shared/"] },
    });
  });
});
