import { generateKeyPairSync, type KeyObject } from "node:crypto";

export interface TestKeyPair {
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export const ecdsaKey: TestKeyPair = {
  name: "ECDSA P-256",
  ...generateKeyPairSync("ec", { namedCurve: "P-256" }),
};
export const rsaKey: TestKeyPair = {
  name: "RSA-2048",
  ...generateKeyPairSync("rsa", { modulusLength: 2048 }),
};
