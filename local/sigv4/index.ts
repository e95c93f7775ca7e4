// The local SigV4 verifiers: presigned requests (the storage) and Authorization headers (the
// storage, and the function URL in iam mode).
export {
  canonicalRequest,
  type ExpectedScope,
  type PresignedRequest,
  parseQuery,
  type SigV4Verdict,
  s3UriEncode,
  signingKey,
} from "./canonical";
export { verifyPresigned } from "./presigned";
export { verifyAuthorizationHeader } from "./verify-header";
