import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/** The local stack as users run it (`npm start`), in its own process, so it can crash or be killed. */
export interface StackProcess {
  readonly api: string;
  readonly edge: string;
  readonly storage: string;
  readonly pid: number;
  /** The stack's stdout: its JSON request log. */
  readonly logFile: string;
  alive(): boolean;
  /** Resident set size of the stack's process, from /proc, in bytes. */
  rss(): number;
  /** SIGKILL, as a crash or an OOM kill would. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStackProcess(dataDir: string, args: string[] = []): Promise<StackProcess> {
  const logFile = path.join(dataDir, `stack-${Date.now()}.log`);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "local/main.ts",
      "--port",
      "0",
      "--example-port",
      "0",
      "--data-dir",
      dataDir,
      ...args,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (stderr.includes("Ctrl-C stops")) {
        clearInterval(timer);
        resolve();
      } else if (exited) {
        clearInterval(timer);
        reject(new Error(`the stack exited at start: ${stderr}`));
      }
    }, 25);
  });
  const url = (label: string) => {
    const found = new RegExp(`${label}\\s+(http://127\\.0\\.0\\.1:\\d+)`).exec(stderr)?.[1];
    if (!found) throw new Error(`no ${label} URL in the banner: ${stderr}`);
    return found;
  };
  const pid = child.pid ?? 0;
  return {
    api: url("API \\(function URL\\)"),
    edge: url("CDN edge"),
    storage: url("storage"),
    pid,
    logFile,
    alive: () => !exited,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024,
    kill9: async () => {
      child.kill("SIGKILL");
      await exit;
    },
    stop: async () => {
      if (!exited) child.kill("SIGTERM");
      await exit;
      await new Promise((resolve) => log.end(resolve));
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });
/** One connection per request, so a request that breaks its connection breaks only its own. */
export const oneShot = new Agent({ keepAlive: false, maxSockets: 64 });

/** One raw HTTP/1.1 request: the path and headers go out exactly as given, nothing normalised. */
export function send(
  base: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: Buffer | AsyncIterable<Buffer>,
  agent: Agent = keepAlive,
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path: rawPath, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body === undefined || Buffer.isBuffer(body)) {
      req.end(body);
      return;
    }
    (async () => {
      for await (const chunk of body) {
        if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
      }
      req.end();
    })().catch((error: unknown) => req.destroy(error as Error));
  });
}

const pathOf = (url: URL) => `${url.pathname}${url.search}`;

/** A single upload as a browser does it: the API's JSON instruction, then the PUT it describes. */
export async function upload(
  api: string,
  key: string,
  body: Buffer | { length: number; chunks: AsyncIterable<Buffer> },
): Promise<{ status: number; etag?: string }> {
  const length = body.length;
  const instruction = await send(api, "PUT", `/${key}`, {
    accept: "application/json",
    "upload-length": String(length),
  });
  if (instruction.status !== 200) return { status: instruction.status };
  const { url, headers } = JSON.parse(instruction.body.toString("utf8")) as {
    url: string;
    headers: Record<string, string>;
  };
  const target = new URL(url);
  const answer = await send(
    target.origin,
    "PUT",
    pathOf(target),
    { ...headers, "content-length": String(length) },
    Buffer.isBuffer(body) ? body : body.chunks,
  );
  const etag = answer.headers.etag;
  return { status: answer.status, ...(typeof etag === "string" ? { etag } : {}) };
}

/** A read through the API's redirect and the edge, as `curl -L` does it. */
export async function read(api: string, key: string): Promise<Answer & { etag?: string }> {
  const redirect = await send(api, "GET", `/${key}`);
  if (redirect.status !== 307) return redirect;
  const location = new URL(String(redirect.headers.location));
  const answer = await send(location.origin, "GET", pathOf(location));
  const etag = answer.headers.etag;
  return { ...answer, ...(typeof etag === "string" ? { etag } : {}) };
}

export const md5 = (data: Buffer) => createHash("md5").update(data).digest("hex");

/** Mulberry32: a small seeded PRNG, so every body and every schedule is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBody(random: () => number, length: number, tag: string): Buffer {
  const body = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) body.writeUInt32LE((random() * 2 ** 32) >>> 0, Math.min(i, length - 4));
  body.write(tag.slice(0, Math.min(tag.length, length)), 0, "latin1");
  return body;
}

/** Runs `tasks` with at most `limit` in flight. */
export async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await (tasks[index] as () => Promise<T>)();
      }
    }),
  );
  return results;
}
