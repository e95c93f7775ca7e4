import { expect } from "chai";
import fc from "fast-check";
import { redactQuery } from "../../../functions/http/query-redaction";

const SECRET_NAMES = [
  "X-Amz-Signature",
  "X-Amz-Credential",
  "X-Amz-Security-Token",
  "Signature",
  "Policy",
  "Key-Pair-Id",
  "token",
  "access_token",
];

describe("redactQuery", () => {
  const cases: Array<[string, string]> = [
    ["", ""],
    ["uploadId=2~abcDEF&partNumber=3", "uploadId=…&partNumber=3"],
    ["uploadId=U&parts=1-1000", "uploadId=…&parts=1-1000"],
    ["uploads", "uploads"],
    ["uploads=", "uploads="],
    [
      "versionId=3HL4kqtJlcpXroDTDmJ%2Bfoo&download=cat%20%281%29.png",
      "versionId=3HL4kqtJlcpXroDTDmJ%2Bfoo&download=cat%20%281%29.png",
    ],
    [
      "list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=100",
      "list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=100",
    ],
    ["versions&recursive=1&limit=50&after=a%2Fb", "versions&recursive=1&limit=50&after=a%2Fb"],
    ["delete&move=b%2Fc&restore=1&expires=600", "delete&move=b%2Fc&restore=1&expires=600"],
    ["delete&purge=1", "delete&purge=1"],
    [
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261122%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
      "X-Amz-Algorithm=[redacted]&X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]",
    ],
    [
      "versionId=V&Expires=1795342200&Signature=abc~def_&Key-Pair-Id=K2JCJMDEHXQW5F",
      "versionId=V&Expires=[redacted]&Signature=[redacted]&Key-Pair-Id=[redacted]",
    ],
    ["token=eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln", "token=[redacted]"],
    // A bare pasted token or signature is not a parameter name: replaced whole.
    ["eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln", "[redacted]"],
    ["aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404=1", "[redacted]"],
    // Known names with values outside their shape: the value goes.
    [
      "partNumber=eyJhbGciOiJ9&parts=1-2-3&expires=soon",
      "partNumber=[redacted]&parts=[redacted]&expires=[redacted]",
    ],
    ["prefix=a%0Ab&prefix=%22quoted%22", "prefix=a%0Ab&prefix=%22quoted%22"],
    ["prefix=a\nb&download=x<script>", "prefix=[redacted]&download=[redacted]"],
    [`prefix=${"a".repeat(257)}`, "prefix=[redacted]"],
    ["%E0%A4%A=1&uploadId&&partNumber=1", "[redacted]&uploadId&partNumber=1"],
    ["X%2DAmz%2DSignature=abc", "X-Amz-Signature=[redacted]"],
  ];
  for (const [query, logged] of cases) {
    it(`logs ${JSON.stringify(query.slice(0, 60))} as ${JSON.stringify(logged.slice(0, 60))}`, () => {
      expect(redactQuery(query)).to.equal(logged);
    });
  }

  it("never lets a value under a secret name into the log, whatever the encoding (5,000 cases)", () => {
    const name = fc.constantFrom(...SECRET_NAMES);
    const secret = fc.string({ minLength: 8, maxLength: 80, unit: "grapheme-ascii" });
    const spelling = fc.constantFrom("raw", "encoded", "plus");
    const other = fc.constantFrom("partNumber=3", "uploads", "prefix=a%2F", "versionId=V", "x=1", "");
    fc.assert(
      fc.property(name, secret, spelling, fc.array(other, { maxLength: 4 }), (n, value, how, rest) => {
        const encoded =
          how === "raw"
            ? value.replace(/[&#]/g, "_")
            : how === "encoded"
              ? encodeURIComponent(value)
              : encodeURIComponent(value).replace(/%20/g, "+");
        const query = [...rest, `${n}=${encoded}`, ...rest].join("&");
        const logged = redactQuery(query);
        expect(logged).to.include(`${n}=[redacted]`);
        expect(logged).to.not.include(encoded);
      }),
      { seed: 12, numRuns: 5000 },
    );
  });

  it("never logs a value of an unknown parameter, and never a name that is not a plain name", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.string({ minLength: 6, maxLength: 60 }), (n, value) => {
        const query = `${encodeURIComponent(n)}=${encodeURIComponent(value)}`;
        const logged = redactQuery(query);
        const known = [
          "uploadId",
          "partNumber",
          "parts",
          "versionId",
          "expires",
          "download",
          "uploads",
          "versions",
          "recursive",
          "limit",
          "after",
          "delete",
          "move",
          "restore",
          "list-type",
          "prefix",
          "delimiter",
          "max-keys",
        ];
        if (known.includes(n)) return;
        expect([`${n}=[redacted]`, "[redacted]"]).to.include(logged);
        if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(n)) expect(logged).to.equal("[redacted]");
      }),
      { seed: 7, numRuns: 3000 },
    );
  });
});
