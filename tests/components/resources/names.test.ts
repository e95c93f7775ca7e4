import { expect } from "chai";
import { SignedFileStore } from "../../../components";
import { foldName, ssmParameterName } from "../../../components/resources/names";
import { type RecordedResource, resourcesOf, settled, useStack } from "../../support/pulumi-mocks";

/** What AWS accepts for each name the component sets, per the documents cited in components/resources/names.ts. */
const NAME_RULES: Array<[type: string, field: string, rule: RegExp]> = [
  ["aws:lambda/function:Function", "name", /^[A-Za-z0-9_-]{1,64}$/],
  ["aws:iam/role:Role", "namePrefix", /^[\w+=,.@-]{1,38}$/],
  ["aws:iam/rolePolicy:RolePolicy", "name", /^[\w+=,.@-]{1,128}$/],
  ["aws:s3/bucket:Bucket", "bucketPrefix", /^[a-z0-9][a-z0-9-]{0,36}$/],
  ["aws:cloudfront/publicKey:PublicKey", "namePrefix", /^[A-Za-z0-9_-]{1,102}$/],
  ["aws:cloudfront/keyGroup:KeyGroup", "name", /^[A-Za-z0-9_-]{1,128}$/],
  ["aws:cloudfront/originAccessControl:OriginAccessControl", "name", /^[A-Za-z0-9_-]{1,64}$/],
  ["aws:cloudfront/cachePolicy:CachePolicy", "name", /^[A-Za-z0-9_-]{1,128}$/],
  ["aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "name", /^[A-Za-z0-9_-]{1,128}$/],
  ["aws:ssm/parameter:Parameter", "name", /^[A-Za-z0-9_.-]{1,1011}$/],
  ["aws:cloudwatch/logGroup:LogGroup", "name", /^[.\-_/#A-Za-z0-9]{1,512}$/],
  ["aws:lambda/permission:Permission", "statementId", /^[A-Za-z0-9_-]{1,100}$/],
];

const LONG_NAME = "platform-shared-files.eu.production.with-a-name-far-longer-than-aws-allows-x";
const HOSTILE_NAMES = ["files.v2", `${LONG_NAME}1234`, "ファイル", "café files/été"];

function physicalNamesOf(resources: readonly RecordedResource[]): string[] {
  return resources.flatMap((r) => (r.physicalName === undefined ? [] : [r.physicalName]));
}

function duplicates(names: readonly string[]): string[] {
  return names.filter((n, i) => names.indexOf(n) !== i);
}

describe("physical names", () => {
  it("folds a component name to letters, digits and dashes", () => {
    expect(foldName("files.v2")).to.equal("files-v2");
    expect(foldName("café files/été")).to.equal("cafe-files-ete");
    expect(foldName("ファイル")).to.equal("");
    expect(foldName("--a__b--")).to.equal("a-b");
  });

  it("has an 80-character hostile name to test with", () => {
    expect(HOSTILE_NAMES[1]).to.have.length(80);
  });

  for (const name of HOSTILE_NAMES) {
    it(`deploys the component name ${JSON.stringify(name)} with names AWS accepts`, async () => {
      new SignedFileStore(name, { auth: { mode: "public" } });
      await settled();
      const resources = resourcesOf(name);
      for (const [type, field, rule] of NAME_RULES) {
        const ofType = resources.filter((r) => r.type === type);
        expect(ofType.length, type).to.be.greaterThan(0);
        for (const r of ofType) {
          expect(r.inputs[field], `${type}.${field}`).to.be.a("string");
          expect(String(r.inputs[field]), `${type}.${field}`).to.match(rule);
        }
      }
      const bucket = resources.find((r) => r.type === "aws:s3/bucket:Bucket");
      const role = resources.find((r) => r.type === "aws:iam/role:Role");
      // The provider's suffix is 26 characters: buckets end at 63, role names at 64.
      expect(bucket?.physicalName?.length).to.be.at.most(63);
      expect(role?.physicalName?.length).to.be.at.most(64);
      expect(duplicates(physicalNamesOf(resources))).to.deep.equal([]);
    });
  }

  it("gives names that fold alike different physical names", async () => {
    new SignedFileStore("twin.a");
    new SignedFileStore("twin_a");
    await settled();
    const first = physicalNamesOf(resourcesOf("twin.a"));
    const second = physicalNamesOf(resourcesOf("twin_a"));
    expect(first).to.have.length(10);
    expect(second).to.have.length(10);
    expect(first.filter((n) => second.includes(n))).to.deep.equal([]);
  });

  it("gives two stacks of one program no physical name in common", async () => {
    new SignedFileStore("shared", { auth: { mode: "public" } });
    await settled();
    useStack("prod");
    try {
      new SignedFileStore("shared", { auth: { mode: "public" } });
      await settled();
    } finally {
      useStack("test");
    }
    const test = physicalNamesOf(resourcesOf("shared", "test"));
    const prod = physicalNamesOf(resourcesOf("shared", "prod"));
    expect(test).to.have.length(10);
    expect(prod).to.have.length(10);
    expect(test.filter((n) => prod.includes(n))).to.deep.equal([]);
    const functionNames = ["test", "prod"].map(
      (stack) =>
        resourcesOf("shared", stack).find((r) => r.type === "aws:lambda/function:Function")?.physicalName,
    );
    expect(functionNames).to.deep.equal(["shared-signer-1bb03731", "shared-signer-457facb8"]);
  });

  describe("SSM parameter names", () => {
    it("puts sfs- before a name SSM reserves (aws or ssm first, in any case), and leaves the others", () => {
      expect(ssmParameterName("aws-files-signing-key-1")).to.equal("sfs-aws-files-signing-key-1");
      expect(ssmParameterName("AWS-signing-key-1")).to.equal("sfs-AWS-signing-key-1");
      expect(ssmParameterName("SsM-x-signing-key-1")).to.equal("sfs-SsM-x-signing-key-1");
      expect(ssmParameterName("awsome-signing-key-1")).to.equal("sfs-awsome-signing-key-1");
      expect(ssmParameterName("files-signing-key-1")).to.equal("files-signing-key-1");
      expect(ssmParameterName("my-aws-files-signing-key-1")).to.equal("my-aws-files-signing-key-1");
    });

    // The longest ARN before a name: arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/ is 56
    // characters, and SSM counts it in the name's 1011.
    const SSM_NAME = /^[A-Za-z0-9_.-]+$/;
    const cases: Array<[string, string]> = [
      ["aws-files", "sfs-aws-files-signing-key-c4219ff5"],
      ["AWS", "sfs-AWS-signing-key-697f9585"],
      ["ssm-x", "sfs-ssm-x-signing-key-087150ae"],
      ["photos", "photos-signing-key-5ee281ad"],
    ];
    for (const [component, parameter] of cases) {
      it(`names the store ${JSON.stringify(component)}'s parameter ${parameter}`, async () => {
        new SignedFileStore(component);
        await settled();
        const names = resourcesOf(component)
          .filter((r) => r.type === "aws:ssm/parameter:Parameter")
          .map((r) => r.inputs.name);
        expect(names).to.deep.equal([parameter]);
      });
    }

    it("keeps a long name within SSM's limits, without a reserved prefix", async () => {
      const long = `aws${"x".repeat(600)}`;
      new SignedFileStore(long);
      await settled();
      const [parameter] = resourcesOf(long)
        .filter((r) => r.type === "aws:ssm/parameter:Parameter")
        .map((r) => String(r.inputs.name));
      expect(parameter).to.match(SSM_NAME);
      expect(parameter).to.match(/^sfs-awsx+-signing-key-[0-9a-f]{8}$/);
      expect(parameter?.length).to.equal(512);
      expect((parameter?.length ?? 0) + 56).to.be.at.most(1011);
    });
  });
});
