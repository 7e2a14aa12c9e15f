/**
 * The shared-memory variant of one of tfkit's kernel modules, made from its bytes at run time: the
 * modules import one memory (`(import "env" "memory" (memory 1))`), and tfjs-backend-wasm's
 * threaded build has a shared memory of at most 4 GB, which an import must declare to match —
 * `(memory 1 65536 shared)`. Nothing else differs (the kernels use no atomics), so rather than
 * shipping a second copy of every module, the import's limits are rewritten here: flags 0x00
 * (minimum only) become 0x03 (shared, with a maximum) followed by the maximum, 65,536 pages, and
 * the import section's length grows by those four bytes. src/simd-wat.test.ts checks the result is
 * byte for byte what the assembler makes of the shared text.
 */

/** LEB128 of an unsigned 32-bit value. */
function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function readUleb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new RangeError('truncated LEB128');
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [value, at];
    shift += 7;
  }
}

/** 4 GB in 64 kB pages: the threaded build's maximum. */
const MAX_PAGES = 65536;

/**
 * `module` (a module whose only import is a memory with a minimum and no maximum) with that memory
 * imported as shared, with a maximum of 65,536 pages.
 */
export function sharedMemoryModule(module: Uint8Array): Uint8Array<ArrayBuffer> {
  let at = 8; // magic and version
  while (at < module.length) {
    const id = module[at]!;
    const [size, body] = readUleb(module, at + 1);
    if (id === 2) {
      // One import: module name, field name, kind 0x02 (memory), limits.
      let p = body;
      const [count, afterCount] = readUleb(module, p);
      if (count !== 1) throw new Error(`expected one import, found ${count}`);
      p = afterCount;
      for (let name = 0; name < 2; name++) {
        const [length, afterLength] = readUleb(module, p);
        p = afterLength + length;
      }
      if (module[p] !== 0x02 || module[p + 1] !== 0x00) throw new Error('expected the import of a memory with a minimum only');
      const limitsAt = p + 1;
      const replaced = [0x03, ...readMinimum(module, limitsAt + 1), ...uleb(MAX_PAGES)];
      const [, afterMinimum] = readUleb(module, limitsAt + 1);
      const section = [...module.subarray(body, limitsAt), ...replaced, ...module.subarray(afterMinimum, body + size)];
      return Uint8Array.from([...module.subarray(0, at), 2, ...uleb(section.length), ...section, ...module.subarray(body + size)]);
    }
    at = body + size;
  }
  throw new Error('no import section');
}

function readMinimum(bytes: Uint8Array, at: number): number[] {
  const [, next] = readUleb(bytes, at);
  return [...bytes.subarray(at, next)];
}
