import { Crc64Nvme } from "../../functions/api/checksums";

/**
 * CRC64NVME as a tiny WebAssembly module, for the Node client's uploads. The shared implementation
 * (functions/api/checksums.ts, which the browser SDK also ships) is plain JavaScript, which has no
 * 64-bit integers: each step splits the CRC into two 32-bit halves and looks up two tables. In
 * WebAssembly the same slicing-by-8 loop reads eight bytes and eight 64-bit table entries per step,
 * several times faster, which matters because every byte `sfstore put` sends is summed first. No
 * package offers a CRC64NVME this small (the AWS SDK's fast one is the native CRT), so the module is
 * assembled here, opcode by opcode; tests/client/transfer/crc64-wasm.test.ts checks it against the
 * AWS SDK's CRC and the JavaScript one.
 */

const POLY = 0x9a6c9329ac4bc9b5n;
const MASK = 0xffffffffffffffffn;
/** Sixteen tables of 256 64-bit entries at the start of memory; the bytes to sum are copied after them. */
const TABLES = 16;
const TABLE_BYTES = TABLES * 256 * 8;
const SCRATCH = TABLE_BYTES;
const SCRATCH_BYTES = 2 * 1024 * 1024;
const PAGES = Math.ceil((SCRATCH + SCRATCH_BYTES) / 65536);

/** Unsigned and signed LEB128, as WebAssembly encodes its integers. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (text: string) => vec([...text].map((c) => [c.charCodeAt(0)]));

const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  end: [0x0b],
  get: (i: number) => [0x20, i],
  set: (i: number) => [0x21, i],
  i32: (n: number) => [0x41, ...sleb(n)],
  i64: (n: number) => [0x42, ...sleb(n)],
  load64: (offset: number) => [0x29, 3, ...uleb(offset)],
  load8u64: [0x31, 0, 0],
  i32Eqz: [0x45],
  i32LtU: [0x49],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32And: [0x71],
  i32Shl: [0x74],
  i64And: [0x83],
  i64Xor: [0x85],
  i64ShrU: [0x88],
  wrap: [0xa7],
};

/** Table `table`'s entry for byte `k` of local `local`: the i64 at table*2048 + byte*8. */
function lookup(local: number, k: number, table: number): number[] {
  return [
    ...op.get(local),
    ...(k === 0 ? [] : [...op.i64(8 * k), ...op.i64ShrU]),
    ...op.wrap,
    ...op.i32(255),
    ...op.i32And,
    ...op.i32(3),
    ...op.i32Shl,
    ...op.load64(table * 2048),
  ];
}

/**
 * `update(crc: i64, ptr: i32, len: i32): i64` (locals 0, 1, 2; local 3 the second word):
 * slicing-by-16 over 16-byte blocks, then byte by byte.
 */
function updateBody(): number[] {
  const step = (i: number, n: number) => [
    ...op.get(i),
    ...op.i32(n),
    ...(n > 0 ? op.i32Add : op.i32Sub),
    ...op.set(i),
  ];
  const words = [
    ...op.block,
    ...op.loop,
    ...op.get(2),
    ...op.i32(16),
    ...op.i32LtU,
    ...op.brIf(1),
    ...op.get(0),
    ...op.get(1),
    ...op.load64(0),
    ...op.i64Xor,
    ...op.set(0),
    ...op.get(1),
    ...op.load64(8),
    ...op.set(3),
    ...lookup(0, 0, 15),
    ...[1, 2, 3, 4, 5, 6, 7].flatMap((k) => [...lookup(0, k, 15 - k), ...op.i64Xor]),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [...lookup(3, k, 7 - k), ...op.i64Xor]),
    ...op.set(0),
    ...step(1, 16),
    ...op.get(2),
    ...op.i32(16),
    ...op.i32Sub,
    ...op.set(2),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
  const bytes = [
    ...op.block,
    ...op.loop,
    ...op.get(2),
    ...op.i32Eqz,
    ...op.brIf(1),
    ...op.get(0),
    ...op.get(1),
    ...op.load8u64,
    ...op.i64Xor,
    ...op.i64(255),
    ...op.i64And,
    ...op.wrap,
    ...op.i32(3),
    ...op.i32Shl,
    ...op.load64(0),
    ...op.get(0),
    ...op.i64(8),
    ...op.i64ShrU,
    ...op.i64Xor,
    ...op.set(0),
    ...step(1, 1),
    ...op.get(2),
    ...op.i32(1),
    ...op.i32Sub,
    ...op.set(2),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
  const code = [...vec([[1, 0x7e]]), ...words, ...bytes, ...op.get(0), ...op.end];
  return [...uleb(code.length), ...code];
}

function moduleBytes(): Uint8Array {
  const i64 = 0x7e;
  const i32 = 0x7f;
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[i64], [i32], [i32]]), ...vec([[i64]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(PAGES)]])),
    ...section(
      7,
      vec([
        [...name("update"), 0x00, 0],
        [...name("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vec([updateBody()])),
  ]);
}

/** The slicing tables, entry by entry as 64-bit little-endian words. */
function tables(): BigUint64Array {
  const out = new BigUint64Array(TABLES * 256);
  for (let n = 0; n < 256; n++) {
    let crc = BigInt(n);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
    out[n] = crc;
  }
  for (let t = 1; t < TABLES; t++) {
    for (let n = 0; n < 256; n++) {
      const previous = out[(t - 1) * 256 + n] as bigint;
      out[t * 256 + n] = (previous >> 8n) ^ (out[Number(previous & 0xffn)] as bigint);
    }
  }
  return out;
}

interface Instance {
  readonly update: (crc: bigint, ptr: number, len: number) => bigint;
  readonly memory: Uint8Array;
}

/** The few WebAssembly calls used here (the Node typings this project builds with leave them out). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

let instance: Instance | null | undefined;

/** The module, instantiated once; null where WebAssembly is not available. */
function wasm(): Instance | null {
  if (instance !== undefined) return instance;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!api) throw new Error("no WebAssembly");
    const exports = new api.Instance(new api.Module(moduleBytes())).exports as {
      update: Instance["update"];
      memory: { buffer: ArrayBuffer };
    };
    // The memory never grows, so this view stays valid.
    const memory = new Uint8Array(exports.memory.buffer);
    memory.set(new Uint8Array(tables().buffer), 0);
    instance = { update: exports.update, memory };
  } catch {
    instance = null;
  }
  return instance;
}

/** The incremental CRC64NVME the Node client sums its uploads with: this module's, or the shared one. */
export interface Crc64 {
  update(data: Uint8Array): this;
  value(): bigint;
}

class WasmCrc64 implements Crc64 {
  private state = MASK;
  constructor(private readonly module: Instance) {}

  update(data: Uint8Array): this {
    for (let at = 0; at < data.length; at += SCRATCH_BYTES) {
      const slice = data.subarray(at, at + SCRATCH_BYTES);
      this.module.memory.set(slice, SCRATCH);
      this.state = this.module.update(this.state, SCRATCH, slice.length);
    }
    return this;
  }

  value(): bigint {
    return BigInt.asUintN(64, this.state) ^ MASK;
  }
}

export function newCrc64(): Crc64 {
  const module = wasm();
  return module ? new WasmCrc64(module) : new Crc64Nvme();
}
