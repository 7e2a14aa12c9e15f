/** Peak and current resident memory of this process, in MiB (Linux /proc/self/status; maxRSS elsewhere). */
import fs from 'node:fs';

export interface MemorySample {
  phase: string;
  /** VmHWM: peak resident set so far. */
  peakMiB: number;
  /** VmRSS: resident now. */
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
  /** The wasm backend's linear memory (tfkit only). */
  wasmHeapMiB?: number;
}

const MiB = 2 ** 20;

function status(field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function sample(phase: string, wasmHeapBytes?: number): MemorySample {
  const mu = process.memoryUsage();
  return {
    phase,
    peakMiB: status('VmHWM') ?? process.resourceUsage().maxRSS / 1024,
    rssMiB: status('VmRSS') ?? mu.rss / MiB,
    heapUsedMiB: mu.heapUsed / MiB,
    externalMiB: mu.external / MiB,
    arrayBuffersMiB: mu.arrayBuffers / MiB,
    ...(wasmHeapBytes === undefined ? {} : { wasmHeapMiB: wasmHeapBytes / MiB }),
  };
}

/** The token ids every system runs: batch 1, `seq` tokens. */
export function inputIds(seq: number): number[] {
  return Array.from({ length: seq }, (_, i) => (i * 7919 + 101) % 30522);
}

/** The child's last stdout line: its samples as JSON. */
export function report(system: string, samples: MemorySample[], extra: Record<string, unknown> = {}): void {
  const maxRSSMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`\nRSS_RESULT ${JSON.stringify({ system, samples, maxRSSMiB, ...extra })}\n`);
}
