export * from "./args/resolve";
export * from "./args/types";
export { CDN_TTL_SECONDS, CORS_S3_ORIGIN_REQUEST_POLICY_ID, SignedFileStore } from "./signed-file-store";
export { SignedFileStoreAccount } from "./signed-file-store-account";
