import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { expect } from "chai";
import { httpRequest, Unreachable } from "../../../functions/http/outbound";

/**
 * A server that answers the first request on a connection and, as a server whose idle timeout fires
 * just as a kept-alive connection is reused, drops the connection on a later one (or on the first
 * too, with `dropFirst`), before any answer.
 */
async function droppingServer(dropFirst = false) {
  const perSocket = new WeakMap<Socket, number>();
  const seen = { requests: 0, connections: 0 };
  const server: Server = createServer((req, res) => {
    seen.requests += 1;
    const count = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, count);
    if (dropFirst || count > 1) {
      req.socket.destroy();
      return;
    }
    // As S3 answers a HEAD: the length of the object, no body.
    res.writeHead(200, { "x-answer": String(seen.requests), "content-length": "2" }).end();
  });
  server.on("connection", () => {
    seen.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/key`);
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, seen, close };
}

describe("httpRequest over kept-alive connections", () => {
  it("sends again on a new connection when a reused one is dropped before the answer", async () => {
    const server = await droppingServer();
    try {
      const first = await httpRequest(server.url, { method: "HEAD", timeoutMs: 2000 });
      // The agent takes the connection back once the answer's turn is over.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const second = await httpRequest(server.url, { method: "HEAD", timeoutMs: 2000 });
      expect([first.status, first.headers["x-answer"]]).to.deep.equal([200, "1"]);
      expect([second.status, second.headers["x-answer"]]).to.deep.equal([200, "3"]);
      expect(server.seen).to.deep.equal({ requests: 3, connections: 2 });
    } finally {
      await server.close();
    }
  });

  it("does not send again when a new connection is dropped: the service is unreachable", async () => {
    const server = await droppingServer(true);
    try {
      const error = await httpRequest(server.url, { method: "HEAD", timeoutMs: 2000 }).catch(
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(Unreachable);
      expect((error as Error).message).to.equal(`${server.url.host}: socket hang up`);
      expect(server.seen).to.deep.equal({ requests: 1, connections: 1 });
    } finally {
      await server.close();
    }
  });
});
