import { expect } from "chai";
import { deferredWriter, JsonText, jsonLogger, type LogLevel } from "../../../functions/telemetry/log";

function capture() {
  const lines: Array<[string, LogLevel]> = [];
  return { lines, logger: jsonLogger((line, level) => lines.push([line, level])) };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("JSON log lines", () => {
  it("writes what JSON.stringify writes for the same fields, one line each", () => {
    const fields = {
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      key: 'photos/"quoted" \\ back\tslash\n',
      unicode: "é 猫 😺",
      lone: "\ud800 alone",
      control: "\u0000\u001f\u007f",
      separators: "\u2028\u2029",
      status: 307,
      negativeZero: -0,
      notANumber: Number.NaN,
      infinite: Number.POSITIVE_INFINITY,
      flag: false,
      absent: undefined,
      fn: () => 1,
      nested: { a: [1, "two", null], b: undefined },
      when: new Date("2026-11-22T10:00:00.250Z"),
      nothing: null,
    };
    const { lines, logger } = capture();
    const before = Date.now();
    logger.log("warn", 'a "message"', fields);
    const after = Date.now();
    expect(lines.length).to.equal(1);
    const [text, level] = lines[0] ?? ["", "info"];
    expect(level).to.equal("warn");
    expect(text.endsWith("}\n")).to.equal(true);
    expect(text.indexOf("\n")).to.equal(text.length - 1);
    const time = (JSON.parse(text) as { time: string }).time;
    expect(Date.parse(time)).to.be.within(before, after);
    expect(new Date(Date.parse(time)).toISOString()).to.equal(time);
    expect(text).to.equal(`${JSON.stringify({ time, level: "warn", message: 'a "message"', ...fields })}\n`);
  });

  it("keeps its own time, level and message when fields use those names", () => {
    const { lines, logger } = capture();
    logger.log("info", "request", { level: "error", message: "spoofed", time: "yesterday", status: 200 });
    const parsed = JSON.parse(lines[0]?.[0] ?? "") as Record<string, unknown>;
    expect(Object.keys(parsed)).to.deep.equal(["time", "level", "message", "status"]);
    expect(parsed.level).to.equal("info");
    expect(parsed.message).to.equal("request");
    expect(parsed.time).to.not.equal("yesterday");
  });

  it("writes a line without fields", () => {
    const { lines, logger } = capture();
    logger.log("error", "request failed");
    const parsed = JSON.parse(lines[0]?.[0] ?? "") as Record<string, unknown>;
    expect(Object.keys(parsed)).to.deep.equal(["time", "level", "message"]);
    expect(parsed.message).to.equal("request failed");
  });
});

describe("deferred log writer", () => {
  it("writes a turn's lines in one write once the turn is over", async () => {
    const writes: string[] = [];
    const write = deferredWriter((text) => writes.push(text));
    write("one\n", "info");
    write("two\n", "warn");
    expect(writes).to.deep.equal([]);
    await nextTurn();
    expect(writes).to.deep.equal(["one\ntwo\n"]);
    write("three\n", "info");
    await nextTurn();
    expect(writes).to.deep.equal(["one\ntwo\n", "three\n"]);
  });

  it("writes an error at once, after the lines before it", async () => {
    const writes: string[] = [];
    const write = deferredWriter((text) => writes.push(text));
    write("one\n", "info");
    write("failed\n", "error");
    expect(writes).to.deep.equal(["one\nfailed\n"]);
    await nextTurn();
    expect(writes).to.deep.equal(["one\nfailed\n"]);
  });

  it("writes at once when 64 KiB are pending", () => {
    const writes: string[] = [];
    const write = deferredWriter((text) => writes.push(text));
    const line = `${"x".repeat(1023)}\n`;
    for (let i = 0; i < 63; i++) write(line, "info");
    expect(writes).to.deep.equal([]);
    write(line, "info");
    expect(writes).to.deep.equal([line.repeat(64)]);
  });
});

describe("JSON text inside a line", () => {
  it("goes into our line as it is, and into a JSON.stringify line as the same value", () => {
    const { lines, logger } = capture();
    const emf = '{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Metrics":[]}]}';
    logger.log("info", "request", { _aws: new JsonText(emf), status: 200 });
    const ours = JSON.parse(lines[0]?.[0] ?? "") as Record<string, unknown>;
    expect(ours._aws).to.deep.equal(JSON.parse(emf));
    expect(JSON.stringify({ _aws: new JsonText(emf), status: 200 })).to.equal(`{"_aws":${emf},"status":200}`);
  });
});
