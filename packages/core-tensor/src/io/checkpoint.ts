/**
 * Hugging Face checkpoints: `config.json`, optional `generation_config.json`, and the weights in
 * `model.safetensors` or sharded as `model-0000k-of-0000n.safetensors` listed by
 * `model.safetensors.index.json`. Loading works from any `FileSource`; saving needs Node and
 * writes every file atomically, as `save_pretrained` lays them out.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, ConfigError } from '../errors.js';
import type { Checkpoint, HfConfig, TensorMap } from '../model-types.js';
import { QUANTIZATION_METADATA_KEY, SCALE_SUFFIX } from '../safetensors/quantize.js';
import { isInt8Quantized, readSafetensorsTensors, safetensorsToTensors, tensorsToSafetensors, type Int8Axis, type SafetensorsTensors, type WeightDtype } from '../safetensors/tensors.js';
import { nodeModules, writeFileAtomic } from './fs.js';
import { describeValue, parseJsonText } from './json.js';
import { parseByteSize } from './limits.js';
import { fileLabel, openSource } from './sources.js';
import type { FileSource, SourceOptions } from './types.js';

const CONFIG = 'config.json';
const GENERATION_CONFIG = 'generation_config.json';
const WEIGHTS = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';
const WEIGHT_FILE = /^model(-\d{5}-of-\d{5})?\.safetensors$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readConfig(files: FileSource, name: string): Promise<HfConfig> {
  const file = fileLabel(files, name);
  const json = parseJsonText(await files.readText(name), (where) => new ConfigError(`${file}: not valid JSON (${where})`));
  if (!isRecord(json)) throw new ConfigError(`${file}: expected a JSON object, got ${describeValue(json)}`);
  const modelType = json['model_type'];
  if (modelType !== undefined && typeof modelType !== 'string') throw new ConfigError(`${file}: "model_type" must be a string, got ${describeValue(modelType)}`);
  const architectures = json['architectures'];
  if (architectures !== undefined && architectures !== null && !(Array.isArray(architectures) && architectures.every((a) => typeof a === 'string'))) {
    const bad = Array.isArray(architectures) ? `element ${architectures.findIndex((a) => typeof a !== 'string')}, ${describeValue(architectures.find((a) => typeof a !== 'string'))}` : describeValue(architectures);
    throw new ConfigError(`${file}: "architectures" must be a list of class names, got ${bad}`);
  }
  return json;
}

/**
 * One safetensors file's tensors: read a tensor at a time when the source allows ranged reads (a
 * local folder; in Node, a hub id's or URL's cache), so the whole file is never held; read whole
 * otherwise (browsers, no writable cache).
 */
async function readSafetensorsFile(files: FileSource, name: string): Promise<SafetensorsTensors> {
  const label = fileLabel(files, name);
  const ranged = await files.openRanged?.(name);
  if (!ranged) return safetensorsToTensors(await files.read(name), label);
  try {
    return await readSafetensorsTensors(ranged, label);
  } finally {
    await ranged.close();
  }
}

async function readSharded(files: FileSource): Promise<{ weights: TensorMap; metadata: Record<string, string> }> {
  const indexFile = fileLabel(files, INDEX);
  const index = await files.readJson(INDEX);
  const map = isRecord(index) ? index['weight_map'] : undefined;
  if (!isRecord(map)) throw new CheckpointError(`${indexFile}: "weight_map" must be an object mapping tensor names to shard files`);
  const shards = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== 'string') throw new CheckpointError(`${indexFile}: "weight_map"."${name}" must be a file name, got ${describeValue(shard)}`);
    shards.set(shard, [...(shards.get(shard) ?? []), name]);
  }
  const weights: TensorMap = new Map();
  const metadata: Record<string, string> = {};
  const loaded: tf.Tensor[] = [];
  try {
    for (const [shard, names] of shards) {
      const { tensors, metadata: shardMetadata } = await readSafetensorsFile(files, shard);
      loaded.push(...tensors.values());
      for (const [name, t] of tensors) {
        const listed = Object.hasOwn(map, name) ? map[name] : undefined;
        if (listed !== shard) {
          throw new CheckpointError(`${fileLabel(files, shard)}: holds tensor "${name}", which ${INDEX} ${listed === undefined ? 'does not list' : `places in ${JSON.stringify(listed)}`}`);
        }
        weights.set(name, t);
      }
      // An int8 shard's scales were folded into their tensors on load.
      const folded = (n: string) => shardMetadata[QUANTIZATION_METADATA_KEY] !== undefined && n.endsWith(SCALE_SUFFIX) && tensors.has(n.slice(0, -SCALE_SUFFIX.length));
      const absent = names.filter((n) => !tensors.has(n) && !folded(n));
      if (absent.length) throw new CheckpointError(`${indexFile}: places ${absent.map((n) => `"${n}"`).join(', ')} in ${shard}, which does not hold ${absent.length > 1 ? 'them' : 'it'}`);
      Object.assign(metadata, shardMetadata);
    }
  } catch (error) {
    for (const t of loaded) t.dispose();
    throw error;
  }
  return { weights, metadata };
}

async function readWeights(files: FileSource): Promise<{ weights: TensorMap; metadata: Record<string, string> }> {
  if (await files.exists(WEIGHTS)) {
    const { tensors, metadata } = await readSafetensorsFile(files, WEIGHTS);
    return { weights: tensors, metadata };
  }
  if (await files.exists(INDEX)) return readSharded(files);
  const pickle = (await files.exists('pytorch_model.bin'))
    ? ' It holds pytorch_model.bin, a pickle that tfkit never executes: re-save it with save_pretrained(dir, safe_serialization=True).'
    : '';
  throw new CheckpointError(`${files.description}: no ${WEIGHTS} or ${INDEX}.${pickle}`);
}

/**
 * Reads a checkpoint from a directory, URL or hub id (see `openSource`). The returned weights are
 * new tensors: whoever loads a checkpoint disposes them.
 */
export async function loadCheckpoint(source: string | FileSource, options: SourceOptions = {}): Promise<Checkpoint> {
  const files = await openSource(source, options);
  const config = await readConfig(files, CONFIG);
  const generationConfig = (await files.exists(GENERATION_CONFIG)) ? await readConfig(files, GENERATION_CONFIG) : undefined;
  const { weights, metadata } = await readWeights(files);
  return { source: files.description, config, generationConfig, weights, metadata, files };
}

export interface SaveCheckpointOptions {
  /** Written as config.json. */
  config: HfConfig;
  /** Tensors by state-dict name, in checkpoint layout. They stay the caller's. */
  weights: ReadonlyMap<string, tf.Tensor>;
  /** Written as generation_config.json when given. */
  generationConfig?: HfConfig;
  /** Extra safetensors `__metadata__` entries (`format: "pt"` is always written, as Hugging Face does). */
  metadata?: Record<string, string>;
  /** Split the weights into shards of at most this size: bytes, or a string such as "500MB" or "2GiB". */
  maxShardSize?: number | string;
  /** How int32 tensors are stored (default `I32`). */
  int32As?: 'I32' | 'I64';
  /**
   * How float32 weights are stored (default `float32`): `float16` (half the size, read by every
   * Hugging Face tool) or `int8` (about a quarter: tfkit's own per-channel int8 format, see
   * `tensorsToSafetensors`; tfkit loads it back as float32).
   */
  dtype?: WeightDtype;
  /** With `dtype: 'int8'`: quantize 2-D tensors with at least this many elements (default 1024). */
  int8MinElements?: number;
  /** With `dtype: 'int8'`: the channel axis of each 2-D tensor (default 0, one scale per row; see `tensorsToSafetensors`). */
  int8Axis?: Int8Axis | ((name: string, shape: readonly number[]) => Int8Axis);
}

function shardBytes(size: number | string): number {
  return size === Infinity ? Infinity : parseByteSize(size, 'saveCheckpoint: "maxShardSize"');
}

interface Encoding {
  int32As: 'I32' | 'I64';
  dtype: WeightDtype;
  int8MinElements: number;
  int8Axis?: Int8Axis | ((name: string, shape: readonly number[]) => Int8Axis);
}

/** Bytes a tensor takes in a safetensors file (an int8 one with its scales, at most: the axis may depend on the values). */
function storedBytes(t: tf.Tensor, e: Encoding): number {
  if (t.dtype === 'float32' && e.dtype === 'int8' && isInt8Quantized(t, e.int8MinElements)) return t.size + 4 * Math.max(...t.shape);
  if (t.dtype === 'float32') return t.size * (e.dtype === 'float16' ? 2 : 4);
  return t.size * (t.dtype === 'bool' ? 1 : t.dtype === 'int32' && e.int32As === 'I64' ? 8 : 4);
}

/** Greedy in state-dict order, as Hugging Face shards; a tensor larger than the limit gets a shard of its own. */
function planShards(weights: ReadonlyMap<string, tf.Tensor>, maxBytes: number, e: Encoding): [string, tf.Tensor][][] {
  const shards: [string, tf.Tensor][][] = [];
  let current: [string, tf.Tensor][] = [];
  let currentBytes = 0;
  for (const entry of weights) {
    const bytes = storedBytes(entry[1], e);
    if (current.length && currentBytes + bytes > maxBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += bytes;
  }
  if (current.length || !shards.length) shards.push(current);
  return shards;
}

/** JSON as Hugging Face writes its files: keys sorted, two-space indent, trailing newline. */
function hfJson(value: unknown): string {
  const sorted = (_key: string, v: unknown) => (isRecord(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v);
  return `${JSON.stringify(value, sorted, 2)}\n`;
}

/**
 * Writes config.json, model.safetensors (or shards + index) and generation_config.json into `dir`
 * (created if needed), each atomically. Weight files of an earlier save that the new one does not
 * use are removed afterwards, so a reader never mixes two saves.
 */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<void> {
  const { fs, path } = await nodeModules(`saving a checkpoint to ${dir}`);
  await fs.mkdir(dir, { recursive: true });
  const metadata = { format: 'pt', ...options.metadata };
  const encode: Encoding = {
    int32As: options.int32As ?? 'I32',
    dtype: options.dtype ?? 'float32',
    int8MinElements: options.int8MinElements ?? 1024,
    ...(options.int8Axis ? { int8Axis: options.int8Axis } : {}),
  };
  const shards = planShards(options.weights, options.maxShardSize === undefined ? Infinity : shardBytes(options.maxShardSize), encode);
  const written = new Set<string>();
  if (shards.length === 1) {
    await writeFileAtomic(path.join(dir, WEIGHTS), await tensorsToSafetensors(new Map(shards[0]), metadata, encode));
    written.add(WEIGHTS);
  } else {
    const count = String(shards.length).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (const [i, shard] of shards.entries()) {
      const file = `model-${String(i + 1).padStart(5, '0')}-of-${count}.safetensors`;
      const bytes = await tensorsToSafetensors(new Map(shard), metadata, encode);
      await writeFileAtomic(path.join(dir, file), bytes);
      written.add(file);
      for (const [name, t] of shard) {
        weightMap[name] = file;
        if (t.dtype === 'float32' && encode.dtype === 'int8' && isInt8Quantized(t, encode.int8MinElements)) weightMap[name + SCALE_SUFFIX] = file;
      }
      // The tensors' bytes: the file less its 8-byte length and its header.
      totalSize += bytes.length - 8 - Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    }
    await writeFileAtomic(path.join(dir, INDEX), hfJson({ metadata: { total_size: totalSize }, weight_map: weightMap }));
    written.add(INDEX);
  }
  await writeFileAtomic(path.join(dir, CONFIG), hfJson(options.config));
  if (options.generationConfig) await writeFileAtomic(path.join(dir, GENERATION_CONFIG), hfJson(options.generationConfig));
  for (const name of await fs.readdir(dir)) {
    if ((WEIGHT_FILE.test(name) || name === INDEX) && !written.has(name)) await fs.rm(path.join(dir, name), { force: true });
  }
}
