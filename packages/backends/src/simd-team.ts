/**
 * Helper threads for tfkit's SIMD product on tfjs-backend-wasm's threaded build.
 *
 * XNNPACK's pthread pool only serves tfjs-backend-wasm's own kernels; tfkit's kernels ran on the
 * calling thread alone, so on two threads a dense layer was no faster than on one. A team is
 * `helpers` Workers, each with its own instance of the shared-memory kernels module over the same
 * heap (a shared `WebAssembly.Memory` may be posted to a Worker; each compiles the 4 kB module
 * itself). A product (`gemm`, or `gemv` for the few rows of a decoding step, with the GELU of a
feed-forward layer's first product where it has one) is cut into parts —
 * whole slices of a batched product, or bands of columns (a multiple of eight) of a single one, or
 * bands of rows where it has few columns — the calling thread runs the first, each helper one of
 * the others, and the call returns when all are written. Every output value is computed by exactly one thread with the same kernel and the same
 * order of terms, so results are bit for bit those of one thread.
 *
 * The hand-off is a small shared control block per helper: the caller writes the arguments, bumps a
 * sequence number and wakes the helper (`Atomics.notify`); the helper runs its part, publishes the
 * same number and wakes the caller. Both spin briefly before sleeping. A page's main thread may not
 * sleep (`Atomics.wait` throws there), so it spins until the helpers are done — about as long as
 * its own part took, as the parts are equal. Each job is claimed exactly once, by compare-and-swap
 * on a claim slot: by its helper, or — when the helper has not claimed it by the time the caller
 * has finished its own part (plus a quarter of that time) — by the caller, which then runs it
 * itself. An asleep, descheduled or vanished helper so costs time, never a hang.
 */
import { importNodeBuiltin, isNode } from './environment.js';

/** Slots of a control block (Int32). */
const SEQ = 0; // bumped by the caller for each job; -1 stops the helper
const DONE = 1; // set by the helper to the job's SEQ when its part is written
const RELAXED = 2; // 1: the job runs the relaxed-SIMD (fused multiply-add) gemm
const CLAIM = 3; // the last job claimed, by the helper or (taken back) by the caller
const KERNEL = 4; // 0: gemm, 1: gemv (the packing-free product of a few rows)
const ACTIVATION = 5; // 0: none; 1 + `gelu`'s mode (0 exact, 1 tanh) over the part's values after its product
const ARGS = 6; // the kernel's 14 arguments, then count and the three slice steps (bytes)
const SLOTS = ARGS + 18;

/** Busy-wait iterations before sleeping (a few microseconds: a product's part takes far longer). */
const SPIN = 4000;

/**
 * How long an idle helper keeps polling for the next job before it sleeps (ms): long enough to
 * span the kernels between two products (a BERT-base layer's attention), so that waking it (tens
 * to hundreds of microseconds on a virtual machine, more in a browser Worker) is rare. In a
 * Chromium Worker a BERT-base forward at two threads took 326–334 ms with 2 ms, 390–398 with
 * 0.5 and 341–358 with 5 (BENCHMARKS.md); in Node the three were level.
 */
const HELPER_SPIN_MS = 2;

/** What a helper receives first: the modules' bytes, the memory, its control block, how long to poll. */
interface HelperInit {
  bytes: Uint8Array;
  relaxedBytes: Uint8Array | null;
  elementwiseBytes: Uint8Array;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  spinMs: number;
}

/** The slots of a control block, as the helper's code gets them: SEQ, DONE, RELAXED, CLAIM, KERNEL, ACTIVATION, ARGS. */
type Slots = [number, number, number, number, number, number, number];

/**
 * The helper's code, run in a Node.js worker thread (`eval`) and a browser Worker (a `blob:` URL)
 * as the text of this function (self-contained: it uses only its argument and globals, so the build
 * minifies it with the rest): instantiate the modules over the memory, say "ready", then run jobs
 * until stopped. It compiles the modules itself rather than being posted them compiled: V8 (Node 20)
 * left a posted module's lazily compiled functions on its baseline tier in the Worker, at about 0.7
 * of the caller's speed.
 */
function helperMain(slots: Slots): void {
  type Kernel = (...args: number[]) => void;
  type Port = { postMessage(message: unknown): void; once(event: 'message', listener: (data: HelperInit) => void): void };
  const node = typeof self === 'undefined';
  const port: Port = node ? (globalThis as unknown as { process: { getBuiltinModule(id: string): { parentPort: Port } } }).process.getBuiltinModule('node:worker_threads').parentPort : (self as unknown as Port);
  const first = (data: HelperInit) => {
    let kernels: Kernel[][];
    let gelu: Kernel;
    try {
      const load = (bytes: Uint8Array) => new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { memory: data.memory } }).exports as Record<string, Kernel>;
      const plain = load(data.bytes);
      const relaxed = data.relaxedBytes ? load(data.relaxedBytes) : plain;
      kernels = [[plain['gemm']!, plain['gemv']!], [relaxed['gemm']!, relaxed['gemv']!]];
      gelu = load(data.elementwiseBytes)['gelu']!;
    } catch (error) {
      port.postMessage({ error: String((error as Error | undefined)?.message ?? error) });
      return;
    }
    const [SEQ, DONE, RELAXED, CLAIM, KERNEL, ACTIVATION, a] = slots;
    const c = new Int32Array(data.control);
    port.postMessage({ ready: true });
    let seen = 0;
    for (;;) {
      const until = performance.now() + data.spinMs;
      for (let spins = 0; Atomics.load(c, SEQ) === seen; spins++) {
        if ((spins & 1023) === 1023 && performance.now() > until) break;
      }
      Atomics.wait(c, SEQ, seen);
      seen = Atomics.load(c, SEQ);
      if (seen === -1) return;
      const claimed = Atomics.load(c, CLAIM);
      if (claimed === seen || Atomics.compareExchange(c, CLAIM, claimed, seen) !== claimed) continue;
      const m = c[a + 4]!, n = c[a + 5]!, cRow = c[a + 13]!, act = n > 0 ? c[ACTIVATION]! : 0;
      const gemm = kernels[c[RELAXED]!]![c[KERNEL]!]!;
      for (let s = 0; s < c[a + 14]!; s++) {
        const out = c[a + 2]! + s * c[a + 17]!;
        gemm(c[a]! + s * c[a + 15]!, c[a + 1]! + s * c[a + 16]!, out, ...c.subarray(a + 3, a + 14));
        for (let i = 0, row = out; act && i < m; i++, row += cRow) gelu(row, 0, row, n, act - 1);
      }
      Atomics.store(c, DONE, seen);
      Atomics.notify(c, DONE);
    }
  };
  if (node) port.once('message', first);
  else (self as unknown as { onmessage: ((event: { data: HelperInit }) => void) | null }).onmessage = (event) => {
    (self as unknown as { onmessage: null }).onmessage = null;
    first(event.data);
  };
}

const HELPER_SOURCE = `(${helperMain.toString()})(${JSON.stringify([SEQ, DONE, RELAXED, CLAIM, KERNEL, ACTIVATION, ARGS] satisfies Slots)})`;

type Gemm = (a: number, b: number, c: number, bias: number, m: number, n: number, k: number, aRow: number, aCol: number, bRow: number, bCol: number, pack: number, kc: number, cRow: number) => void;

/**
 * The kernels a team runs (SimdKernels'): `gemm`, `gemv` for a few rows without packing, and
 * `gelu` for a product's activation.
 */
export interface TeamKernels {
  gemm: Gemm;
  gemv: Gemm;
  gelu(x: number, dy: number, out: number, n: number, mode: 0 | 1 | 2 | 3): void;
}

/**
 * One product, possibly batched: slice s reads a + s·aStep, b + s·bStep and writes c + s·cStep;
 * by `gemm`, or by `gemv` where `kernel` says so (pack and kc then unused); with `activation`, the
 * GELU (`gelu`, exact or tanh form) of each value after it, by the thread that wrote it.
 */
export interface GemmJob {
  kernel?: 'gemm' | 'gemv';
  activation?: 'gelu' | 'gelu_tanh';
  a: number; b: number; c: number; bias: number;
  m: number; n: number; k: number;
  aRow: number; aCol: number; bRow: number; bCol: number;
  kc: number; cRow: number;
  count: number; aStep: number; bStep: number; cStep: number;
}

/**
 * The modules a helper instantiates over the shared memory (their shared-memory variants): the
 * kernels module (`gemm`, `gemv`), its relaxed-SIMD build (null where the caller has none) and the
 * elementwise module (`gelu`).
 */
export interface TeamModules {
  kernels: Uint8Array;
  relaxed: Uint8Array | null;
  elementwise: Uint8Array;
}

interface Helper {
  control: Int32Array;
  stop(): void;
}

/** How long a helper may take to start and instantiate the module (ms). */
const HELPER_START_MS = 20_000;

/** How long a helper has to start its part after the caller finished its own: this share of it. */
const CLAIM_GRACE = 0.25;

/** Products of fewer multiply-adds than this run on the calling thread alone (≈ 25 µs). */
const MIN_SPLIT_WORK = 1 << 20;

/**
 * The fewest columns of a band of `gemv` (64 kB of each row of a weight). Its time is that of
 * streaming the weight from memory; a thread reading a short run of every row reads slower than
 * one reading whole rows (on the 2-core machine, a band of half a 768- or 3072-column weight
 * each: 11–16 GB/s for both threads together, one thread alone 27), so only long rows (a language
 * model's head) are cut.
 */
const MIN_GEMV_BAND = 16384;

/** The fewest columns of a band (a product with fewer than twice this many is cut by rows). */
const MIN_BAND_COLUMNS = 32;

export class SimdTeam {
  private seq = 0;
  private stopped = false;

  private constructor(private readonly helpers: readonly Helper[], private readonly canSleep: boolean) {}

  /** Threads a product may run on: the caller and its helpers. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /**
   * Starts `count` helpers over `memory`, each with its own instances of `modules` (the relaxed
   * build for jobs run with `relaxed`), or gives the reason it could not (no Worker, a helper that
   * failed to instantiate).
   */
  static async start(modules: TeamModules, memory: WebAssembly.Memory, count: number): Promise<SimdTeam | string> {
    const started: Helper[] = [];
    try {
      for (let i = 0; i < count; i++) started.push(await startHelper(modules, memory));
    } catch (error) {
      for (const h of started) h.stop();
      return error instanceof Error ? error.message : String(error);
    }
    // Node's main thread and Workers may block; a page's main thread may not.
    const canSleep = isNode() || typeof (globalThis as { document?: unknown }).document === 'undefined';
    return new SimdTeam(started, canSleep);
  }

  /** Stops the helpers (idempotent). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.helpers) h.stop();
  }

  /**
   * How many parts `job` is cut into (1: the caller runs it alone): whole slices when there are
   * at least as many slices as threads; otherwise bands of columns (at least `MIN_BAND_COLUMNS`
   * each), so that each thread packs only its share of op(b); failing that, bands of at least
   * four rows.
   */
  parts(job: Pick<GemmJob, 'm' | 'n' | 'k' | 'count' | 'kernel'>): number {
    // (A team retires before its job numbers would overflow: 2³¹ products, decades of work.)
    if (this.stopped || this.seq >= 0x7ffffff0 || job.m * job.n * job.k * job.count < MIN_SPLIT_WORK) return 1;
    if (job.count >= this.threads) return this.threads;
    if (job.count !== 1) return 1;
    if (job.kernel === 'gemv') return Math.max(1, Math.min(this.threads, Math.floor(job.n / MIN_GEMV_BAND)));
    const byColumns = Math.floor(job.n / MIN_BAND_COLUMNS);
    return Math.max(1, Math.min(this.threads, byColumns >= 2 ? byColumns : Math.floor(job.m / 4)));
  }

  /**
   * Runs `job` on `parts(job)` threads with `kernels` on this one — the helpers with the same
   * variant: `relaxed` when `kernels` are the fused multiply-add ones; `packs[p]` is part p's
   * scratch for `gemm` (see SimdKernels.gemm). Returns when every part is written.
   */
  run(kernels: TeamKernels, job: GemmJob, packs: readonly number[], relaxed = false): void {
    const gemv = job.kernel === 'gemv';
    const parts = this.parts(job);
    if (!gemv && packs.length < parts) throw new RangeError(`SimdTeam.run: ${parts} parts need ${parts} scratch buffers, got ${packs.length}`);
    const mine = this.cut(job, parts, 0);
    if (parts > 1) {
      this.seq++;
      for (let p = 1; p < parts; p++) {
        const part = this.cut(job, parts, p);
        const c = this.helpers[p - 1]!.control;
        const args = [part.a, part.b, part.c, part.bias, part.m, part.n, part.k, part.aRow, part.aCol, part.bRow, part.bCol, packs[p] ?? 0, part.kc, part.cRow, part.count, part.aStep, part.bStep, part.cStep];
        for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i]!;
        c[RELAXED] = relaxed ? 1 : 0;
        c[KERNEL] = gemv ? 1 : 0;
        c[ACTIVATION] = job.activation === 'gelu' ? 1 : job.activation === 'gelu_tanh' ? 2 : 0;
        Atomics.store(c, SEQ, this.seq);
        Atomics.notify(c, SEQ);
      }
    }
    const started = performance.now();
    runJob(kernels, mine, packs[0] ?? 0);
    const grace = 0.05 + CLAIM_GRACE * (performance.now() - started);
    for (let p = 1; p < parts; p++) {
      if (!this.await(this.helpers[p - 1]!.control, performance.now() + grace)) runJob(kernels, this.cut(job, parts, p), packs[p] ?? 0);
    }
  }

  /** Part p of `parts` of `job`. */
  private cut(job: GemmJob, parts: number, p: number): GemmJob {
    if (parts === 1) return job;
    if (job.count >= parts) {
      const per = Math.ceil(job.count / parts);
      const from = Math.min(job.count, p * per);
      const count = Math.min(job.count, from + per) - from;
      return { ...job, a: job.a + from * job.aStep, b: job.b + from * job.bStep, c: job.c + from * job.cStep, count };
    }
    if (job.n >= 2 * MIN_BAND_COLUMNS) {
      const from = bandStart(job, parts, p);
      const n = bandStart(job, parts, p + 1) - from;
      return { ...job, b: job.b + from * job.bCol, c: job.c + from * 4, bias: job.bias && job.bias + from * 4, n, count: n > 0 ? job.count : 0 };
    }
    // Bands of rows, each a multiple of four (gemm's row block) but the last.
    const per = Math.ceil(job.m / parts / 4) * 4;
    const from = Math.min(job.m, p * per);
    const m = Math.min(job.m, from + per) - from;
    return { ...job, a: job.a + from * job.aRow, c: job.c + from * job.cRow, m, count: m > 0 ? job.count : 0 };
  }

  /**
   * Waits until the helper behind `c` has written the current job's part: true. If it has not
   * claimed the job by `deadline` (asleep, descheduled on a busy machine, or gone), claims it back
   * and gives false — the caller then runs that part itself.
   */
  private await(c: Int32Array, deadline: number): boolean {
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(c, DONE);
      if (done === this.seq) return true;
      const claimed = Atomics.load(c, CLAIM);
      if (claimed !== this.seq) {
        if ((spins & 63) === 63 && performance.now() > deadline && Atomics.compareExchange(c, CLAIM, claimed, this.seq) === claimed) return false;
        continue;
      }
      // Sleeps only while DONE still holds what was just read (no lost wake-up).
      if (this.canSleep && spins > SPIN) Atomics.wait(c, DONE, done, 50);
    }
  }
}

/**
 * The first column of band p of `parts` (p = parts: n): multiples of eight columns (gemm's column
 * block; four would do for gemv) but the last. The two threads writing the two ends of the
 * boundary's cache line take it from each other while they run; gemv, which adds each row of the
 * weight into c, is cut only for rows of 16384 columns or more (MIN_GEMV_BAND), where that is one
 * line in thousands.
 */
function bandStart(job: GemmJob, parts: number, p: number): number {
  return Math.min(job.n, p * Math.ceil(job.n / parts / 8) * 8);
}

/**
 * `job` (or a team's part of one) on the calling thread: its products, then its activation row by
 * row (`pack`: gemm's scratch, as in `SimdTeam.run`).
 */
export function runJob(kernels: TeamKernels, job: GemmJob, pack: number): void {
  const gemm = job.kernel === 'gemv' ? kernels.gemv : kernels.gemm;
  for (let s = 0; s < job.count; s++) {
    gemm(job.a + s * job.aStep, job.b + s * job.bStep, job.c + s * job.cStep, job.bias, job.m, job.n, job.k, job.aRow, job.aCol, job.bRow, job.bCol, pack, job.kc, job.cRow);
  }
  if (!job.activation || job.n === 0) return;
  const mode = job.activation === 'gelu_tanh' ? 1 : 0;
  for (let s = 0; s < job.count; s++) {
    const c = job.c + s * job.cStep;
    // A whole matrix in one pass; a band of its columns row by row.
    if (job.cRow === 4 * job.n) kernels.gelu(c, 0, c, job.m * job.n, mode);
    else for (let i = 0; i < job.m; i++) kernels.gelu(c + i * job.cRow, 0, c + i * job.cRow, job.n, mode);
  }
}

async function startHelper(modules: TeamModules, memory: WebAssembly.Memory): Promise<Helper> {
  const control = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  const init: HelperInit = { bytes: modules.kernels, relaxedBytes: modules.relaxed, elementwiseBytes: modules.elementwise, memory, control: control.buffer as SharedArrayBuffer, spinMs: HELPER_SPIN_MS };
  let post: (message: unknown) => void;
  let onceMessage: (listener: (message: unknown) => void, onError: (error: unknown) => void) => void;
  let terminate: () => void;
  if (isNode()) {
    const { Worker } = await importNodeBuiltin('node:worker_threads');
    const worker = new Worker(HELPER_SOURCE, { eval: true });
    // An idle helper must not keep Node running (it only works while the caller waits on it).
    worker.unref();
    post = (m) => worker.postMessage(m);
    onceMessage = (listener, onError) => {
      worker.once('message', listener);
      worker.once('error', onError);
    };
    terminate = () => void worker.terminate();
  } else {
    const WorkerClass = (globalThis as { Worker?: typeof Worker }).Worker;
    if (typeof WorkerClass !== 'function') throw new Error('Worker is not available here');
    const url = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: 'text/javascript' }));
    const worker = new WorkerClass(url);
    URL.revokeObjectURL(url);
    post = (m) => worker.postMessage(m);
    onceMessage = (listener, onError) => {
      worker.onmessage = (event) => {
        worker.onmessage = null;
        listener(event.data);
      };
      worker.onerror = (event) => onError(new Error(event.message || 'the helper Worker failed to start'));
    };
    terminate = () => worker.terminate();
  }
  const ready = new Promise<void>((resolve, reject) => {
    onceMessage((message) => {
      const m = message as { ready?: boolean; error?: string };
      if (m.ready) resolve();
      else reject(new Error(`a helper thread could not instantiate tfkit's kernels: ${m.error ?? 'unknown error'}`));
    }, reject);
    // A Worker that neither starts nor fails (a blocked script, say) must not hang activation.
    const timer = setTimeout(() => reject(new Error(`a helper thread did not start within ${HELPER_START_MS / 1000} s`)), HELPER_START_MS);
    (timer as { unref?: () => void }).unref?.();
  });
  post(init);
  try {
    await ready;
  } catch (error) {
    terminate();
    throw error;
  }
  return {
    control,
    stop: () => {
      Atomics.store(control, SEQ, -1);
      Atomics.notify(control, SEQ);
      terminate();
    },
  };
}
