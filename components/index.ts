export * from "./args";
export * from "./resolve-args";
export { CDN_TTL_SECONDS, CORS_S3_ORIGIN_REQUEST_POLICY_ID, SignedFileStore } from "./signed-file-store";
