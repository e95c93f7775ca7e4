export * from "./args";
export { CACHING_OPTIMIZED_POLICY_ID, SignedFileStore } from "./signed-file-store";
