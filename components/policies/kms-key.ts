/**
 * KMS key policies as plain data: the stack's data key, and the keys that encrypt the signing key
 * (a store's own, or an account's shared one).
 */
import { type PolicyDocument, type PolicyStatement, policyDocument, viaSsm } from "./iam";

/**
 * The account statement of AWS's default key policy, in both of the stack's key policies: the
 * account root gets `kms:*` on the key, which lets IAM policies in the account grant access to it
 * (AWS KMS Developer Guide, "Default key policy"); signingKeyKmsPolicy says why it stays whole.
 */
const accountKeyStatement = (accountRootArn: string): PolicyStatement => ({
  Sid: "EnableIamPolicies",
  Effect: "Allow",
  Principal: { AWS: accountRootArn },
  Action: "kms:*",
  Resource: "*",
});

/**
 * Key policy for the stack's own SSE-KMS key. The account statement is the default key policy's
 * (see signingKeyKmsPolicy); the function's role is granted in its own IAM policy through it. OAC
 * reads of SSE-KMS objects need the CloudFront service principal to decrypt, bound to this
 * distribution by AWS:SourceArn (CloudFront Developer Guide, "Restrict access to an Amazon S3
 * origin", SSE-KMS); reads only, so kms:Decrypt alone.
 */
export function dataKeyPolicy(accountRootArn: string, distributionArn: string): PolicyDocument {
  return policyDocument(accountKeyStatement(accountRootArn), {
    Sid: "AllowCloudFrontOriginAccessControlDecrypt",
    Effect: "Allow",
    Principal: { Service: "cloudfront.amazonaws.com" },
    Action: "kms:Decrypt",
    Resource: "*",
    Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
  });
}

/**
 * Key policy for the account's shared signing key: AWS's default key policy, the account statement
 * only. The account cannot name the roles of stores created after it, so each store's role is
 * granted kms:Decrypt on this key alone, through SSM only, in its own IAM policy.
 */
export function accountSigningKeyKmsPolicy(accountRootArn: string): PolicyDocument {
  return policyDocument(accountKeyStatement(accountRootArn));
}

/**
 * Key policy for the key that encrypts the signing key. The AWS managed key `aws/ssm` lets every
 * principal in the account decrypt (Systems Manager User Guide, "Restricting decryption of
 * SecureString parameter values"), so the stack owns a key whose policy names only the account and
 * the function role.
 *
 * The account statement is the one of AWS's default key policy: the account root gets `kms:*` on
 * the key (AWS KMS Developer Guide, "Default key policy", "Allows access to the AWS account and
 * enables IAM policies"). It grants nothing to any principal by itself; it lets IAM policies in the
 * account grant access to the key, which is what the deployer's policy uses to write and refresh the
 * parameter. Listing actions one by one instead leaves out the ones not listed (grants, on-demand
 * rotation, new actions AWS adds) for every IAM policy forever, and a key policy without the account
 * can leave the key unmanageable (same page). This is the one documented exception to the rule that
 * no Allow uses a wildcard action: the rule is about what the function's role may do, and the
 * function's own statement stays one action, through SSM only.
 */
export function signingKeyKmsPolicy(
  accountRootArn: string,
  functionRoleArn: string,
  region: string,
  dnsSuffix: string,
): PolicyDocument {
  return policyDocument(accountKeyStatement(accountRootArn), {
    Sid: "FunctionDecryptsThroughSsm",
    Effect: "Allow",
    Principal: { AWS: functionRoleArn },
    Action: "kms:Decrypt",
    Resource: "*",
    Condition: viaSsm(region, dnsSuffix),
  });
}
