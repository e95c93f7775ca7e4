import { expect } from "chai";
import { SignedUrlMemo } from "../../../functions/signers/signed-url-memo";

describe("the memo of signed read URLs", () => {
  function memo(capacity: number) {
    const store = new SignedUrlMemo(capacity);
    const signed: string[] = [];
    const get = (resource: string, expires = 100, now = 50, keyPairId = "K1") =>
      store.get(resource, expires, keyPairId, now, () => {
        signed.push(resource);
        return `${resource}#${signed.length}`;
      });
    return { store, signed, get };
  }

  it("signs a resource once per expiry and key, and again once the URL has expired", () => {
    const { signed, get } = memo(10);
    expect([get("a"), get("a"), get("a", 100, 99)]).to.deep.equal(["a#1", "a#1", "a#1"]);
    expect(get("a", 100, 100)).to.equal("a#2");
    expect(get("a", 200)).to.equal("a#3");
    expect(get("a", 200, 50, "K2")).to.equal("a#4");
    expect(signed).to.deep.equal(["a", "a", "a", "a"]);
  });

  it("holds at most its capacity, dropping the older half, and keeps what was read from that half", () => {
    const { store, signed, get } = memo(4);
    for (const resource of ["a", "b", "c", "d", "e"]) get(resource);
    expect(store.size).to.equal(3);
    expect(get("c")).to.equal("c#3");
    expect(get("a")).to.equal("a#6");
    expect(store.size).to.equal(3);
    get("f");
    expect(store.size).to.equal(4);
    expect(get("c")).to.equal("c#3");
    expect(get("d")).to.equal("d#8");
    expect(signed).to.deep.equal(["a", "b", "c", "d", "e", "a", "f", "d"]);
    for (let i = 0; i < 1000; i++) {
      get(`many/${i}`);
      expect(store.size).to.be.at.most(4);
    }
  });

  it("refuses a capacity that cannot hold two generations", () => {
    for (const capacity of [0, 1, 2.5]) {
      expect(() => new SignedUrlMemo(capacity)).to.throw(
        RangeError,
        `capacity must be a whole number of at least 2, got ${capacity}`,
      );
    }
    const { store, get } = memo(2);
    for (const resource of ["a", "b", "c"]) get(resource);
    expect(store.size).to.equal(2);
  });
});
