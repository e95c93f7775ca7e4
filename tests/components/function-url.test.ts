import { expect } from "chai";
import { SignedFileStore, type SignedFileStoreArgs } from "../../components";
import { PROVIDER_URL_STATEMENT_IDS } from "../../components/resources/function";
import { type RecordedResource, resourcesOf, settled, single, useStack } from "../support/pulumi-mocks";

/** One `pulumi up` of the stack `switch` with `args`, read apart from the others. */
async function deploy(step: number, args: SignedFileStoreArgs): Promise<RecordedResource[]> {
  useStack(`url-switch-${step}`);
  try {
    new SignedFileStore("switch", args);
    await settled();
  } finally {
    useStack("test");
  }
  return resourcesOf("switch", `url-switch-${step}`);
}

const statements = (resources: readonly RecordedResource[]) =>
  resources
    .filter((r) => r.type === "aws:lambda/permission:Permission")
    .map((r) => [r.name, r.inputs.statementId, r.inputs.principal]);

describe("the function URL's public permissions across a switch of auth mode", () => {
  it("declares the two public statements while the URL is public and none once it is iam", async () => {
    const jwt = {
      mode: "jwt",
      issuer: "https://id.example.com/",
      audience: "files",
      jwksUrl: "https://id.example.com/jwks.json",
    } as const;
    const [publicStore, jwtStore, iamStore] = [
      await deploy(1, { auth: { mode: "public" } }),
      await deploy(2, { auth: jwt }),
      await deploy(3, { auth: { mode: "iam" } }),
    ];
    const open = [
      ["switch-url-public-invoke-url", "PublicInvokeFunctionUrl", "*"],
      ["switch-url-public-invoke", "PublicInvokeFunctionThroughUrl", "*"],
    ];
    expect(statements(publicStore)).to.deep.equal(open);
    expect(statements(jwtStore)).to.deep.equal(open);
    // Pulumi deletes a declared resource the next deploy no longer declares: after the switch to
    // iam nothing of the component's stays public.
    expect(statements(iamStore)).to.deep.equal([]);
    expect(single(iamStore, "aws:lambda/functionUrl:FunctionUrl").inputs.authorizationType).to.equal(
      "AWS_IAM",
    );
    // The switch updates the URL in place (same logical name, same function), which is why the
    // provider's own two statements, added when the URL was created with NONE, stay behind and
    // README's "Function URL permissions" removes them by hand.
    expect(single(publicStore, "aws:lambda/functionUrl:FunctionUrl").name).to.equal(
      single(iamStore, "aws:lambda/functionUrl:FunctionUrl").name,
    );
  });

  it("never declares a statement under an ID the provider adds itself, which Lambda would refuse", async () => {
    const resources = await deploy(4, { auth: { mode: "public" } });
    const ids = resources
      .filter((r) => r.type === "aws:lambda/permission:Permission")
      .map((r) => String(r.inputs.statementId));
    expect(ids.filter((id) => (PROVIDER_URL_STATEMENT_IDS as readonly string[]).includes(id))).to.deep.equal(
      [],
    );
    expect(PROVIDER_URL_STATEMENT_IDS).to.deep.equal([
      "FunctionURLAllowPublicAccess",
      "FunctionURLAllowInvokeAction",
    ]);
  });
});
