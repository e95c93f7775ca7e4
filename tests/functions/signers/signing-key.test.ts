import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { type FakeAws, startFakeAws } from "../../../bench/fake-aws";
import { ServiceUnavailable } from "../../../functions/api/http-error";
import { parseSigningKeyValue, ssmSigningKey } from "../../../functions/signers/signing-key";
import { SsmParameterError, ssmParameterReader } from "../../../functions/signers/ssm-parameter";
import { ecdsaKey, rsaKey } from "../../support/keys";

const CREDENTIALS = {
  accessKeyId: "AKIDFUNCTIONROLE",
  secretAccessKey: "role/secret+key=",
  sessionToken: "tok",
};
const PARAMETER = "/signed-file-store/files/signing-key";
const pem = (key: typeof ecdsaKey) => key.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

/** A port with nothing listening: connections are refused at once. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Answers every request with `status` and `body`, counting them; or never answers, with `hang`. */
async function fixedServer(status: number, body: string, hang = false) {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count += 1;
    req.resume();
    if (!hang) res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("signing key from SSM", () => {
  describe("parseSigningKeyValue", () => {
    it("takes the key pair ID from a JSON value, so the ID and the key change together", () => {
      const key = parseSigningKeyValue(
        JSON.stringify({ keyPairId: "K2ROTATED", privateKeyPem: pem(rsaKey) }),
        "KCONFIG",
      );
      expect(key.keyPairId).to.equal("K2ROTATED");
      expect(key.privateKey.asymmetricKeyType).to.equal("rsa");
      expect(key.privateKey.type).to.equal("private");
    });

    it("reads a rotating key's retirement as epoch seconds, and none for a key that does not rotate", () => {
      const key = parseSigningKeyValue(
        JSON.stringify({
          keyPairId: "KR",
          privateKeyPem: pem(ecdsaKey),
          retiresAt: "2026-12-24T00:00:00.000Z",
        }),
        "KCONFIG",
      );
      expect(key.retiresAt).to.equal(Date.UTC(2026, 11, 24) / 1000);
      expect(parseSigningKeyValue(pem(ecdsaKey), "KCONFIG")).to.not.have.property("retiresAt");
    });

    it("takes the ID from the config for a bare PEM", () => {
      const key = parseSigningKeyValue(`\n${pem(ecdsaKey)}\n`, "KCONFIG");
      expect(key.keyPairId).to.equal("KCONFIG");
      expect(key.privateKey.asymmetricKeyType).to.equal("ec");
    });

    const refusals: Array<[string, string, string]> = [
      ["JSON that does not parse", "{ keyPairId", "the signing key parameter starts with { but is not JSON"],
      [
        "a key pair ID that would break the URL",
        JSON.stringify({ keyPairId: "K1&Signature=x", privateKeyPem: "x" }),
        "the signing key parameter's keyPairId must be a CloudFront public key ID",
      ],
      [
        "no PEM",
        JSON.stringify({ keyPairId: "K1" }),
        "the signing key parameter's privateKeyPem must be a PEM string",
      ],
      [
        "a retirement that is not a date",
        JSON.stringify({ keyPairId: "K1", privateKeyPem: "x", retiresAt: "next week" }),
        "the signing key parameter's retiresAt must be an ISO 8601 date",
      ],
    ];
    for (const [name, value, message] of refusals) {
      it(`refuses ${name}`, () => {
        expect(() => parseSigningKeyValue(value, "KCONFIG")).to.throw(Error, message);
      });
    }
  });

  describe("ssmSigningKey", () => {
    it("reads once and keeps the parsed key", async () => {
      const names: string[] = [];
      const key = ssmSigningKey(PARAMETER, "KCONFIG", async (name) => {
        names.push(name);
        return pem(ecdsaKey);
      });
      const [first, second] = await Promise.all([key(), key()]);
      const third = await key();
      expect(names).to.deep.equal([PARAMETER]);
      expect(second).to.equal(first);
      expect(third).to.equal(first);
    });

    it("reads again in the background once the refresh interval has passed, and keeps the old key if that fails", async () => {
      let now = 0;
      const values = [
        JSON.stringify({ keyPairId: "KOLD", privateKeyPem: pem(ecdsaKey) }),
        new ServiceUnavailable("SSM is down"),
        JSON.stringify({ keyPairId: "KNEW", privateKeyPem: pem(ecdsaKey) }),
      ];
      let reads = 0;
      let answered: () => void = () => {};
      const key = ssmSigningKey(
        PARAMETER,
        "KCONFIG",
        async () => {
          const value = values[reads++];
          setImmediate(() => answered());
          if (value instanceof Error) throw value;
          return value ?? "";
        },
        () => now,
        600_000,
      );
      const nextRead = () =>
        new Promise<void>((resolve) => {
          answered = resolve;
        });
      expect((await key()).keyPairId).to.equal("KOLD");
      now = 599_999;
      expect((await key()).keyPairId).to.equal("KOLD");
      expect(reads).to.equal(1);
      // Due: this request is served with the key it has while the parameter is read again, and fails.
      now = 600_000;
      let read = nextRead();
      expect((await key()).keyPairId).to.equal("KOLD");
      await read;
      await new Promise((resolve) => setImmediate(resolve));
      expect(reads).to.equal(2);
      // A failed refresh keeps the key and waits half a minute before it asks again.
      now = 629_999;
      expect((await key()).keyPairId).to.equal("KOLD");
      expect(reads).to.equal(2);
      now = 630_000;
      read = nextRead();
      expect((await key()).keyPairId).to.equal("KOLD");
      await read;
      await new Promise((resolve) => setImmediate(resolve));
      expect(reads).to.equal(3);
      expect((await key()).keyPairId).to.equal("KNEW");
    });

    it("does not keep a failed read: the next request reads again", async () => {
      let calls = 0;
      const key = ssmSigningKey(PARAMETER, "KCONFIG", async () => {
        calls += 1;
        if (calls === 1)
          throw new ServiceUnavailable("the signing key store is unavailable; try again later");
        return JSON.stringify({ keyPairId: "K2ROTATED", privateKeyPem: pem(ecdsaKey) });
      });
      const failure = await key().catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(ServiceUnavailable);
      expect((await key()).keyPairId).to.equal("K2ROTATED");
      expect(calls).to.equal(2);
    });
  });

  describe("ssmParameterReader", () => {
    let aws: FakeAws;
    before(async () => {
      aws = await startFakeAws({
        ...CREDENTIALS,
        bucket: "unused",
        parameters: { [PARAMETER]: "the decrypted value" },
        objects: {},
      });
    });
    after(() => aws.close());

    it("sends one SigV4-signed GetParameter that SSM's signature check accepts", async () => {
      const read = ssmParameterReader({
        region: "eu-west-1",
        credentials: async () => CREDENTIALS,
        endpoint: aws.url,
      });
      const before = aws.requests.length;
      expect(await read(PARAMETER)).to.equal("the decrypted value");
      expect(aws.requests.slice(before)).to.deep.equal([
        { service: "ssm", method: "POST", path: "/", operation: "AmazonSSM.GetParameter" },
      ]);
    });

    it("reports a missing parameter at once, without retrying", async () => {
      const read = ssmParameterReader({
        region: "eu-west-1",
        credentials: async () => CREDENTIALS,
        endpoint: aws.url,
      });
      const before = aws.requests.length;
      const error = await read("/no/such/parameter").catch((e: unknown) => e);
      expect(error).to.be.instanceOf(SsmParameterError);
      expect((error as SsmParameterError).code).to.equal("ParameterNotFound");
      expect(aws.requests.length - before).to.equal(1);
    });

    it("reports credentials SSM refuses without retrying", async () => {
      const read = ssmParameterReader({
        region: "eu-west-1",
        credentials: async () => ({ ...CREDENTIALS, secretAccessKey: "wrong" }),
        endpoint: aws.url,
      });
      const error = await read(PARAMETER).catch((e: unknown) => e);
      expect((error as SsmParameterError).code).to.equal("SignatureDoesNotMatch");
    });

    it("is a 503 with Retry-After when SSM cannot be reached", async () => {
      const read = ssmParameterReader({
        region: "eu-west-1",
        credentials: async () => CREDENTIALS,
        endpoint: await closedPort(),
      });
      const error = await read(PARAMETER).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ServiceUnavailable);
      expect((error as ServiceUnavailable).status).to.equal(503);
      expect((error as ServiceUnavailable).headers).to.deep.equal({ "retry-after": "5" });
      expect((error as ServiceUnavailable).message).to.equal(
        "the signing key store is unavailable; try again later",
      );
    });

    it("retries SSM's 5xx and throttling, then answers 503", async () => {
      for (const [status, body] of [
        [500, JSON.stringify({ __type: "InternalServerError" })],
        [400, JSON.stringify({ __type: "com.amazonaws.ssm#ThrottlingException", message: "Rate exceeded" })],
      ] as const) {
        const server = await fixedServer(status, body);
        const read = ssmParameterReader({
          region: "eu-west-1",
          credentials: async () => CREDENTIALS,
          endpoint: server.url,
        });
        const error = await read(PARAMETER).catch((e: unknown) => e);
        await server.close();
        expect(error, String(status)).to.be.instanceOf(ServiceUnavailable);
        expect(server.count(), String(status)).to.equal(3);
      }
    });

    it("gives up on an SSM that does not answer within the timeout", async () => {
      const server = await fixedServer(200, "", true);
      const read = ssmParameterReader({
        region: "eu-west-1",
        credentials: async () => CREDENTIALS,
        endpoint: server.url,
        timeoutMs: 100,
        maxAttempts: 2,
      });
      const error = await read(PARAMETER).catch((e: unknown) => e);
      await server.close();
      expect(error).to.be.instanceOf(ServiceUnavailable);
      expect(server.count()).to.equal(2);
    });
  });
});
