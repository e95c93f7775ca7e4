import { expect } from "chai";
import { md5, type StorageFixture, startStorageFixture, xmlText } from "./fixture";

describe("local storage: DeleteObjects reads its body as XML does", () => {
  let s: StorageFixture;
  before(async () => {
    s = await startStorageFixture();
  });
  after(() => s.close());

  const put = async (key: string) => {
    const res = await fetch(await s.presign("PUT", key), { method: "PUT", body: `bytes of ${key}` });
    expect(res.status).to.equal(200);
  };
  const status = async (key: string) => (await fetch(await s.presign("GET", key))).status;
  const deleteObjects = async (body: Buffer | string) => {
    const headers = { "content-md5": Buffer.from(md5(body), "hex").toString("base64") };
    const url = await s.presign("POST", "", { query: { delete: "" }, signedHeaders: headers });
    const res = await fetch(url, { method: "POST", headers, body });
    const text = await res.text();
    return { status: res.status, code: xmlText(text, "Code"), text };
  };

  it("a key in a CDATA section is taken literally: `&amp;` and `</Key>` in it are the key's own characters", async () => {
    const literal = ["cd/&amp;", "cd/a</Key>b", "cd/<![x]"];
    const lookalikes = ["cd/&", "cd/a"];
    for (const key of [...literal, ...lookalikes]) await put(key);
    const xml =
      "<Delete><Object><Key><![CDATA[cd/&amp;]]></Key></Object>" +
      "<Object><Key>cd/<![CDATA[a</Key>b]]></Key></Object>" +
      "<Object><Key><![CDATA[cd/<![x]]]></Key></Object></Delete>";
    const answer = await deleteObjects(xml);
    expect(answer.status).to.equal(200);
    expect([...answer.text.matchAll(/<Deleted><Key>([^<]*)<\/Key>/g)].map((m) => m[1])).to.deep.equal([
      "cd/&amp;amp;",
      "cd/a&lt;/Key&gt;b",
      "cd/&lt;![x]",
    ]);
    for (const key of literal) expect(await status(key), key).to.equal(404);
    for (const key of lookalikes) expect(await status(key), key).to.equal(200);
  });

  it("characters XML does not allow (U+0001, U+FFFF, U+FFFE), raw or in CDATA, and bytes that are not UTF-8 are 400 MalformedXML; nothing is deleted", async () => {
    await put("bad/x");
    const bodies: Array<[string, Buffer | string]> = [
      ["U+0001", "<Delete><Object><Key>bad/x</Key></Object><Object><Key>bad/\u0001</Key></Object></Delete>"],
      ["U+FFFF", "<Delete><Object><Key>bad/x</Key></Object><Object><Key>bad/\uFFFF</Key></Object></Delete>"],
      ["U+FFFE", "<Delete><Object><Key>bad/x</Key></Object><Object><Key>bad/\uFFFE</Key></Object></Delete>"],
      [
        "U+0001 in CDATA",
        "<Delete><Object><Key>bad/x</Key></Object><Object><Key><![CDATA[\u0001]]></Key></Object></Delete>",
      ],
      ["U+0008 outside keys", "<Delete>\b<Object><Key>bad/x</Key></Object></Delete>"],
      [
        "an unterminated CDATA",
        "<Delete><Object><Key>bad/x</Key></Object><Object><Key><![CDATA[y</Key></Object></Delete>",
      ],
      [
        "invalid UTF-8",
        Buffer.concat([
          Buffer.from("<Delete><Object><Key>bad/x</Key></Object><Object><Key>bad/"),
          Buffer.from([0xc3, 0x28]),
          Buffer.from("</Key></Object></Delete>"),
        ]),
      ],
    ];
    for (const [name, body] of bodies) {
      const answer = await deleteObjects(body);
      expect([answer.status, answer.code], name).to.deep.equal([400, "MalformedXML"]);
    }
    expect(await status("bad/x")).to.equal(200);
  });
});
