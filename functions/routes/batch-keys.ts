import { type Reach, reaches } from "../auth/authorizer";
import { keyProblem } from "./request-body";

export interface KeyError {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

/** The batch's keys the caller may act on, and an error for each other one, in the order given. */
export function sortBatch(
  keys: readonly string[],
  reach: Reach,
  verb: string,
): { allowed: string[]; errors: KeyError[] } {
  const allowed: string[] = [];
  const errors: KeyError[] = [];
  for (const key of keys) {
    const problem = keyProblem(key);
    if (problem) errors.push({ key, code: "InvalidKey", message: problem });
    else if (!reaches(reach, key)) {
      errors.push({ key, code: "Forbidden", message: `this caller may not ${verb} ${JSON.stringify(key)}` });
    } else allowed.push(key);
  }
  return { allowed, errors };
}
