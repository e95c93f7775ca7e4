import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { seedObjects } from "../../support/seed-objects";
import { BUCKET, md5, type StorageFixture, startStorageFixture, xmlText } from "./fixture";

describe("local storage: ListObjectsV2", () => {
  const keys = Array.from({ length: 2500 }, (_, i) => `many/${String(i).padStart(4, "0")}.txt`);
  let ls: StorageFixture;
  let lc: S3Client;
  const lput = async (key: string, text: string) => {
    const res = await fetch(await ls.presign("PUT", key), { method: "PUT", body: text });
    expect(res.status).to.equal(200);
  };
  after(() => ls.close());
  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sfs-listing-"));
    await seedObjects(dataDir, BUCKET, [
      ...keys.map((key) => ({ key })),
      ...["tree/a/1", "tree/a/2", "tree/b/1", "tree/c", "tree/d/e/f"].map((key) => ({ key })),
      { key: "tree/gone", deleted: true },
    ]);
    ls = await startStorageFixture({ dataDir });
    lc = ls.client();
  });

  it("pages 2,500 keys at max-keys 1000: 1000, 1000, 500, exactly the keys in order", async () => {
    const pages: ListObjectsV2CommandOutput[] = [];
    let token: string | undefined;
    do {
      const page = await lc.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Prefix: "many/",
          MaxKeys: 1000,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      pages.push(page);
      token = page.NextContinuationToken;
    } while (token);
    expect(pages.map((p) => [p.KeyCount, p.IsTruncated, p.Contents?.length])).to.deep.equal([
      [1000, true, 1000],
      [1000, true, 1000],
      [500, false, 500],
    ]);
    expect(pages.flatMap((p) => (p.Contents ?? []).map((c) => c.Key))).to.deep.equal(keys);
    const first = pages[0]?.Contents?.[0];
    expect([
      first?.Size,
      first?.ETag,
      first?.StorageClass,
      first?.ChecksumAlgorithm,
      first?.ChecksumType,
    ]).to.deep.equal([13, `"${md5(keys[0] ?? "")}"`, "STANDARD", ["CRC64NVME"], "FULL_OBJECT"]);
  });

  it("a delimiter rolls keys up into CommonPrefixes, which count toward max-keys; deleted keys are not listed", async () => {
    const all = await lc.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "tree/", Delimiter: "/" }));
    expect([
      all.Contents?.map((c) => c.Key),
      all.CommonPrefixes?.map((p) => p.Prefix),
      all.KeyCount,
    ]).to.deep.equal([["tree/c"], ["tree/a/", "tree/b/", "tree/d/"], 4]);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await lc.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Prefix: "tree/",
          Delimiter: "/",
          MaxKeys: 1,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      seen.push(
        ...(page.CommonPrefixes ?? []).map((p) => `P:${p.Prefix}`),
        ...(page.Contents ?? []).map((c) => `K:${c.Key}`),
      );
      token = page.NextContinuationToken;
    } while (token);
    expect(seen).to.deep.equal(["P:tree/a/", "P:tree/b/", "K:tree/c", "P:tree/d/"]);
  });

  it("start-after and a top-level delimiter listing", async () => {
    const after = await lc.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "many/", StartAfter: "many/2497.txt" }),
    );
    expect([after.Contents?.map((c) => c.Key), after.StartAfter]).to.deep.equal([
      ["many/2498.txt", "many/2499.txt"],
      "many/2497.txt",
    ]);
    const top = await lc.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: "/" }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).to.deep.equal(["many/", "tree/"]);
  });

  it("encoding-type=url encodes keys and common prefixes as S3 does: space as +, + as %2B, % as %25, UTF-8 escaped, / kept", async () => {
    for (const key of [
      "enc/a b.txt",
      "enc/a+b.txt",
      "enc/100%.csv",
      "enc/한글/x.txt",
      "enc/run books/x.txt",
    ]) {
      await lput(key, key);
    }
    const flat = await lc.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "enc/", EncodingType: "url" }),
    );
    expect([flat.EncodingType, flat.Prefix, flat.Contents?.map((c) => c.Key)]).to.deep.equal([
      "url",
      "enc/",
      [
        "enc/100%25.csv",
        "enc/a+b.txt",
        "enc/a%2Bb.txt",
        "enc/run+books/x.txt",
        "enc/%ED%95%9C%EA%B8%80/x.txt",
      ],
    ]);
    const nested = await lc.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "enc/", Delimiter: "/", EncodingType: "url" }),
    );
    expect(nested.CommonPrefixes?.map((p) => p.Prefix)).to.deep.equal([
      "enc/run+books/",
      "enc/%ED%95%9C%EA%B8%80/",
    ]);
  });

  it("refuses a bad continuation token and a bad max-keys with 400 InvalidArgument", async () => {
    const queries: Array<Record<string, string>> = [
      { "list-type": "2", "continuation-token": "not a token" },
      { "list-type": "2", "max-keys": "-1" },
    ];
    for (const query of queries) {
      const res = await fetch(await ls.presign("GET", "", { query }));
      expect([res.status, xmlText(await res.text(), "Code")]).to.deep.equal([400, "InvalidArgument"]);
    }
  });
});

describe("local storage: a listing page costs what its entries cost, wherever it starts", function () {
  this.timeout(120_000);
  const FOLDERS = 50;
  const PER_FOLDER = 200;
  const folder = (f: number) => `f${String(f).padStart(3, "0")}/`;
  let s: StorageFixture;
  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sfs-listing-cost-"));
    const objects = [];
    for (let f = 0; f < FOLDERS; f += 1) {
      for (let k = 0; k < PER_FOLDER; k += 1)
        objects.push({ key: `${folder(f)}k${String(k).padStart(3, "0")}.txt`, body: "" });
    }
    await seedObjects(dataDir, BUCKET, objects);
    s = await startStorageFixture({ dataDir });
  });
  after(() => s.close());

  it(`${FOLDERS * PER_FOLDER} keys: pages deep by start-after, continuation, prefix and delimiter cost about what the first page costs`, async () => {
    const page = async (query: Record<string, string>) => {
      const url = await s.presign("GET", "", { query: { "list-type": "2", "max-keys": "100", ...query } });
      const started = performance.now();
      const text = await (await fetch(url)).text();
      return { ms: performance.now() - started, text };
    };
    const deep = await page({ "start-after": `${folder(FOLDERS - 3)}k199.txt` });
    const token = xmlText(deep.text, "NextContinuationToken") ?? "";
    const cases: Record<string, Record<string, string>> = {
      "first page": {},
      "start-after deep": { "start-after": `${folder(FOLDERS - 1)}k099.txt` },
      "continuation deep": { "continuation-token": token },
      "prefix of the last folder": { prefix: folder(FOLDERS - 1) },
      "delimiter at the root": { delimiter: "/" },
      "delimiter, start-after half way": { delimiter: "/", "start-after": folder(FOLDERS / 2) },
    };
    const counts: Record<string, string | undefined> = {};
    const times: Record<string, number[]> = {};
    for (let round = 0; round < 16; round += 1) {
      for (const [name, query] of Object.entries(cases)) {
        const { ms, text } = await page(query);
        counts[name] = xmlText(text, "KeyCount");
        // The first round warms up the code paths.
        if (round > 0) times[name] = [...(times[name] ?? []), ms];
      }
    }
    // The fastest of 15 is the page's own cost: other processes on the machine only ever add to it.
    const fastest = (values: number[]) => Math.min(...values);
    const base = fastest(times["first page"] ?? []);
    const ratios = Object.fromEntries(
      Object.keys(cases).map((name) => [name, fastest(times[name] ?? []) / base]),
    );
    process.stdout.write(
      `      listing ${FOLDERS * PER_FOLDER} keys, fastest of 15, ms per 100-entry page (ratio to the first page): ${Object.keys(
        cases,
      )
        .map((name) => `${name} ${fastest(times[name] ?? []).toFixed(2)} (${ratios[name]?.toFixed(2)})`)
        .join(", ")}\n`,
    );
    expect(counts).to.deep.equal({
      "first page": "100",
      "start-after deep": "100",
      "continuation deep": "100",
      "prefix of the last folder": "100",
      "delimiter at the root": "50",
      "delimiter, start-after half way": "25",
    });
    for (const [name, ratio] of Object.entries(ratios)) expect(ratio, name).to.be.below(3);
  });
});
