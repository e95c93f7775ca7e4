import { expect } from "chai";
import { partBatches } from "../../../functions/api/part-batches";

describe("part batches (one signing request each)", () => {
  it("groups consecutive part numbers into runs of at most max, and breaks a run at a gap", () => {
    expect(partBatches([1, 2, 3, 4, 5, 6, 7, 8], 4)).to.deep.equal([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(partBatches([1, 2, 4, 5, 6, 9], 3)).to.deep.equal([[1, 2], [4, 5, 6], [9]]);
    expect(partBatches([3], 100)).to.deep.equal([[3]]);
    expect(partBatches([], 4)).to.deep.equal([]);
  });
});
