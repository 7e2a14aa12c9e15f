/**
 * Datasets: an indexable list of examples, built from an array, an async iterable, a JSONL file or
 * a CSV file, with seeded shuffling and batching. The order of epoch `e` depends only on
 * (seed, e), so a resumed run sees exactly the batches the uninterrupted run would have seen.
 */
import { importNodeBuiltin, Random } from '@tfkit/core-tensor';
import { FinetuneError } from '../errors.js';
import { parseCsv, type CsvOptions } from './csv.js';

export type Example = Record<string, unknown>;

export interface BatchOptions {
  batchSize: number;
  /** Shuffle the order each epoch (default true). */
  shuffle?: boolean;
  seed?: number;
  /** Epoch number: with shuffling, each epoch has its own permutation. */
  epoch?: number;
  /** Drop the last, smaller batch (default false). */
  dropLast?: boolean;
}

export class Dataset<T = Example> {
  private readonly items: readonly T[];

  constructor(items: readonly T[]) {
    this.items = items;
  }

  static fromArray<T>(items: readonly T[]): Dataset<T> {
    return new Dataset(items);
  }

  /** Reads the whole iterable (datasets are indexable so that shuffling and resuming are exact). */
  static async fromAsyncIterable<T>(source: AsyncIterable<T> | Iterable<T>): Promise<Dataset<T>> {
    const items: T[] = [];
    for await (const item of source) items.push(item);
    return new Dataset(items);
  }

  /** One JSON object per non-empty line; a bad line is an error naming the file and line. */
  static async fromJsonl<T = Example>(path: string): Promise<Dataset<T>> {
    const text = await readText(path);
    const items: T[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      try {
        items.push(JSON.parse(line) as T);
      } catch (cause) {
        throw new FinetuneError(`${path}:${i + 1}: not valid JSON (${(cause as Error).message})`, { cause });
      }
    });
    return new Dataset(items);
  }

  /** A CSV file with a header row; every value is a string (see `parseCsv`). */
  static async fromCsv(path: string, options: CsvOptions = {}): Promise<Dataset<Record<string, string>>> {
    return new Dataset(parseCsv(await readText(path), { ...options, source: path }));
  }

  get length(): number {
    return this.items.length;
  }

  get(index: number): T {
    if (!(index >= 0 && index < this.items.length)) throw new RangeError(`Dataset index ${index} out of range (length ${this.items.length})`);
    return this.items[index] as T;
  }

  toArray(): T[] {
    return [...this.items];
  }

  map<U>(fn: (item: T, index: number) => U): Dataset<U> {
    return new Dataset(this.items.map(fn));
  }

  filter(fn: (item: T, index: number) => boolean): Dataset<T> {
    return new Dataset(this.items.filter(fn));
  }

  /** A seeded random split into two datasets, the first with `fraction` of the examples. */
  split(fraction: number, seed = 42): [Dataset<T>, Dataset<T>] {
    const order = new Random(seed).shuffle(this.items.map((_, i) => i));
    const cut = Math.round(order.length * fraction);
    return [new Dataset(order.slice(0, cut).map((i) => this.items[i] as T)), new Dataset(order.slice(cut).map((i) => this.items[i] as T))];
  }

  /** The example indices of each batch of one epoch. */
  batchIndices(options: BatchOptions): number[][] {
    const { batchSize } = options;
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new FinetuneError(`batchSize must be a positive integer, got ${batchSize}`);
    const order = this.items.map((_, i) => i);
    // Each epoch's permutation comes from its own generator, seeded by (seed, epoch).
    if (options.shuffle ?? true) new Random(((options.seed ?? 42) * 1000003 + (options.epoch ?? 0)) >>> 0).shuffle(order);
    const out: number[][] = [];
    for (let i = 0; i < order.length; i += batchSize) {
      const batch = order.slice(i, i + batchSize);
      if (batch.length < batchSize && options.dropLast) break;
      out.push(batch);
    }
    return out;
  }

  /** The batches of one epoch as arrays of examples. */
  *batches(options: BatchOptions): Generator<T[]> {
    for (const idx of this.batchIndices(options)) yield idx.map((i) => this.items[i] as T);
  }

  /** Number of batches per epoch. */
  numBatches(batchSize: number, dropLast = false): number {
    return dropLast ? Math.floor(this.items.length / batchSize) : Math.ceil(this.items.length / batchSize);
  }
}

async function readText(path: string): Promise<string> {
  const fs = await importNodeBuiltin('node:fs/promises');
  try {
    return await fs.readFile(path, 'utf8');
  } catch (cause) {
    throw new FinetuneError(`cannot read dataset file ${path}: ${(cause as Error).message}`, { cause });
  }
}
