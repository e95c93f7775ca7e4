import { expect } from "chai";
import { closeServer, IDLE_SOCKET_MS, listen, loggingServer } from "../../../local/http/listen";

describe("local servers' request log", () => {
  it("logs the path and a redacted query: no signature, credential or token value", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const server = loggingServer(
      "storage",
      (fields) => lines.push(fields),
      async (_req, res) => {
        res.writeHead(204).end();
      },
      (res) => res.writeHead(500).end(),
    );
    const url = await listen(server);
    const secrets = [
      "X-Amz-Credential=AKIDEXAMPLE%2F20261122%2Feu-west-1%2Fs3%2Faws4_request",
      "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
      "Signature=Q2xvdWRGcm9udA__",
      "Policy=eyJTdGF0ZW1lbnQiOltdfQ__",
      "token=eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln",
    ];
    try {
      const response = await fetch(
        `${url}/photos/cat%20(1).png?uploadId=U1&partNumber=2&${secrets.join("&")}`,
        {
          method: "PUT",
        },
      );
      expect(response.status).to.equal(204);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await closeServer(server);
    }
    expect(lines).to.have.length(1);
    const { durationMs, ...line } = lines[0] ?? {};
    expect(durationMs).to.be.a("number");
    expect(line).to.deep.equal({
      component: "storage",
      method: "PUT",
      path: "/photos/cat%20(1).png",
      query:
        "uploadId=…&partNumber=2&X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&Signature=[redacted]&Policy=[redacted]&token=[redacted]",
      status: 204,
    });
    const text = JSON.stringify(lines);
    for (const secret of secrets) expect(text).to.not.include(secret.slice(secret.indexOf("=") + 1));
    expect(text).to.not.include("U1");
  });

  it("sets no limit on a whole request's duration, and closes a connection silent for a minute", () => {
    const server = loggingServer(
      "storage",
      undefined,
      async () => {},
      () => {},
    );
    expect([server.requestTimeout, server.timeout]).to.deep.equal([0, IDLE_SOCKET_MS]);
    expect(IDLE_SOCKET_MS).to.equal(60_000);
  });
});
