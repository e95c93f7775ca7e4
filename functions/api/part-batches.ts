/**
 * Runs of consecutive part numbers, at most `max` long: each is one signing request
 * (`?uploadId=U&parts=FIRST-LAST`), which the Node client and the browser SDK both make.
 */
export function partBatches(partNumbers: readonly number[], max: number): number[][] {
  const out: number[][] = [];
  for (const n of partNumbers) {
    const run = out.at(-1);
    if (run && run.length < max && run.at(-1) === n - 1) run.push(n);
    else out.push([n]);
  }
  return out;
}
