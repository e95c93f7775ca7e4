/**
 * The parts of a multipart upload, read, signed in batches and sent: each part's CRC64NVME is
 * computed when the part is read for sending, a batch of parts is signed in one API request once
 * its checksums are known, and the reader stays at most one batch ahead of the senders.
 */
import { CHECKSUM_HEADERS, crc64ToBase64 } from "../functions/api/checksums";
import { partBatches } from "../functions/api/part-batches";
import type { TransferInstruction } from "./api";
import { readWithCrc } from "./checksum";
import { xhrPut } from "./xhr-put";

/** A part in the store: its ETag and the CRC64NVME storage verified it against. */
export interface StoredPart {
  readonly etag: string;
  readonly crc: bigint;
}

export interface PartPlan {
  readonly file: Blob;
  readonly partSize: number;
  /** Parts sent at once, and parts signed per API request. */
  readonly parallel: number;
  readonly signal: AbortSignal;
  /** Signs parts `first`..`first + checksums.length - 1`, each binding its CRC64NVME (base64). */
  readonly sign: (first: number, checksums: readonly string[]) => Promise<TransferInstruction[]>;
  /** Bytes of a part sent so far, for progress. */
  readonly onPartBytes: (partNumber: number, bytes: number) => void;
}

interface Job {
  readonly partNumber: number;
  readonly bytes: Uint8Array;
  readonly crc: bigint;
  readonly target: TransferInstruction;
}

/** A count of parts the reader may hold in memory; it waits while none is free. */
class Slots {
  private waiters: Array<() => void> = [];
  constructor(private free: number) {}
  async take(signal: AbortSignal): Promise<void> {
    while (this.free === 0) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.free--;
  }
  give(): void {
    this.free++;
    this.waiters.shift()?.();
  }
  wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/**
 * Sends the parts `todo`, adding each to `stored` as storage takes it. The first failure aborts the
 * others (the caller's signal is aborted by its caller; here a failure stops reading and taking).
 */
export async function sendParts(
  plan: PartPlan,
  todo: readonly number[],
  stored: Map<number, StoredPart>,
): Promise<void> {
  const { file, partSize, parallel, signal } = plan;
  const slots = new Slots(2 * parallel);
  const queue: Job[] = [];
  let reading = true;
  let failure: { error: unknown } | undefined;
  let wakeSenders: Array<() => void> = [];
  const wake = () => {
    for (const resolve of wakeSenders.splice(0)) resolve();
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    reading = false;
    slots.wakeAll();
    wake();
  };
  const onAbort = () => fail(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });

  const read = async () => {
    try {
      for (const batch of partBatches(todo, parallel)) {
        const slices = [];
        for (const partNumber of batch) {
          await slots.take(signal);
          if (failure) return;
          const start = (partNumber - 1) * partSize;
          slices.push({ partNumber, ...(await readWithCrc(file.slice(start, start + partSize))) });
        }
        if (failure) return;
        const targets = await plan.sign(
          batch[0] as number,
          slices.map((s) => crc64ToBase64(s.crc)),
        );
        slices.forEach((slice, i) => {
          const target = targets[i];
          if (!target) throw new Error(`the API signed no URL for part ${slice.partNumber}`);
          queue.push({ ...slice, target });
        });
        wake();
      }
    } finally {
      reading = false;
      wake();
    }
  };

  const send = async () => {
    for (;;) {
      while (queue.length === 0 && reading && !failure) await new Promise<void>((r) => wakeSenders.push(r));
      const job = queue.shift();
      if (!job || failure) return;
      try {
        const etag = await xhrPut(
          job.target.url,
          job.target.headers,
          job.bytes,
          (bytes) => plan.onPartBytes(job.partNumber, bytes),
          signal,
        );
        stored.set(job.partNumber, { etag, crc: job.crc });
        plan.onPartBytes(job.partNumber, job.bytes.length);
      } finally {
        slots.give();
      }
    }
  };

  try {
    await Promise.all([read().catch(fail), ...Array.from({ length: parallel }, () => send().catch(fail))]);
  } finally {
    signal.removeEventListener("abort", onAbort);
    wakeSenders = [];
  }
  if (failure) throw failure.error;
}

/** The checksum header the part URLs bind, as the API names it in each part's `headers`. */
export const PART_CHECKSUM_HEADER = CHECKSUM_HEADERS.CRC64NVME;
