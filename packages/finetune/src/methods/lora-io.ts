/**
 * LoRA adapters on disk in PEFT's format, so `PeftModel.from_pretrained(base, dir)` in Python
 * loads what tfkit saves and the other way round: `adapter_config.json` (PEFT's `LoraConfig`
 * keys) and `adapter_model.safetensors` with keys `base_model.model.<path>.lora_A.weight`
 * `[r, in]` and `…lora_B.weight` `[out, r]` — for an embedding `…lora_embedding_A` `[r, num]`
 * and `…lora_embedding_B` `[dim, r]` — (the adapter name is not stored), `modulesToSave`
 * weights as `base_model.model.<path>.<param>` and saved biases under their model names.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { importNodeBuiltin, CheckpointError, safetensorsToTensors, tensorsToSafetensors, writeFileAtomic } from '@tfkit/core-tensor';
import type { Module } from '@tfkit/layers';
import { FinetuneError } from '../errors.js';
import { LoraEmbedding } from './lora-embedding.js';
import { LoraLinear } from './lora-linear.js';
import { LoraModel, type LoraConfig, type LoraLayer } from './lora.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

/** PEFT's state-dict names of a layer's A and B. */
function adapterKeys(path: string, layer: LoraLayer): [string, string] {
  return layer instanceof LoraEmbedding
    ? [`${PREFIX}${path}.lora_embedding_A`, `${PREFIX}${path}.lora_embedding_B`]
    : [`${PREFIX}${path}.lora_A.weight`, `${PREFIX}${path}.lora_B.weight`];
}

/** PEFT's `LoraConfig` as JSON (keys sorted, as PEFT writes them). */
export function toPeftConfig(config: LoraConfig, fanInFanOut: boolean): Record<string, unknown> {
  const target = config.targetModules instanceof RegExp ? config.targetModules.source : config.targetModules;
  const json: Record<string, unknown> = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: config.baseModelNameOrPath ?? null,
    bias: config.bias ?? 'none',
    fan_in_fan_out: fanInFanOut,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: config.loraAlpha ?? 8,
    lora_dropout: config.loraDropout ?? 0,
    modules_to_save: config.modulesToSave?.length ? config.modulesToSave : null,
    peft_type: 'LORA',
    r: config.r,
    rank_pattern: {},
    revision: null,
    target_modules: target,
    task_type: config.taskType ?? null,
    use_dora: false,
    use_rslora: false,
  };
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Reads PEFT's adapter_config.json into a `LoraConfig`; rejects features tfkit does not implement. */
export function fromPeftConfig(json: Record<string, unknown>, where = ADAPTER_CONFIG): LoraConfig {
  if (json['peft_type'] !== 'LORA') throw new CheckpointError(`${where}: peft_type is ${JSON.stringify(json['peft_type'])}, expected "LORA"`);
  for (const key of ['use_dora', 'use_rslora'] as const) if (json[key]) throw new CheckpointError(`${where}: ${key} is not supported by tfkit's LoRA`);
  for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = json[key];
    if (v && typeof v === 'object' && Object.keys(v).length) throw new CheckpointError(`${where}: ${key} is not supported by tfkit's LoRA`);
  }
  if (json['layers_to_transform'] != null) throw new CheckpointError(`${where}: layers_to_transform is not supported; list the layers in target_modules instead`);
  const target = json['target_modules'];
  if (!(typeof target === 'string' || (Array.isArray(target) && target.every((t) => typeof t === 'string')))) {
    throw new CheckpointError(`${where}: target_modules must be a string or a list of strings`);
  }
  if (typeof json['r'] !== 'number') throw new CheckpointError(`${where}: "r" must be a number`);
  const bias = json['bias'] ?? 'none';
  if (bias !== 'none' && bias !== 'all' && bias !== 'lora_only') throw new CheckpointError(`${where}: bias must be none, all or lora_only`);
  return {
    r: json['r'],
    loraAlpha: typeof json['lora_alpha'] === 'number' ? json['lora_alpha'] : 8,
    loraDropout: typeof json['lora_dropout'] === 'number' ? json['lora_dropout'] : 0,
    targetModules: target as string | string[],
    modulesToSave: Array.isArray(json['modules_to_save']) ? (json['modules_to_save'] as string[]) : [],
    bias,
    baseModelNameOrPath: (json['base_model_name_or_path'] as string | null | undefined) ?? null,
    taskType: (json['task_type'] as string | null | undefined) ?? null,
  };
}

/** The adapter's tensors under PEFT's names (new tensors: the caller disposes them). */
export function adapterStateDict(lora: LoraModel, name = lora.activeAdapter): Map<string, tf.Tensor> {
  const config = lora.config(name);
  const out = new Map<string, tf.Tensor>();
  for (const [path, layer] of lora.loraLayers()) {
    if (!layer.adapterNames().includes(name)) continue;
    const { A, B } = layer.weights(name);
    const [a, b] = adapterKeys(path, layer);
    out.set(a, A.toCheckpoint());
    out.set(b, B.toCheckpoint());
  }
  // modulesToSave weights of an inactive adapter are held aside; make it active to read them.
  const previous = lora.activeAdapter;
  if (previous !== name) lora.setAdapter(name);
  try {
    for (const [pname, p] of [...lora.biasParams(config), ...lora.modulesToSaveParams(config)]) out.set(`${PREFIX}${pname}`, p.toCheckpoint());
  } finally {
    if (previous !== name) lora.setAdapter(previous);
  }
  return out;
}

/** Writes `dir/adapter_config.json` and `dir/adapter_model.safetensors` for adapter `name`. */
export async function saveLoraAdapter(lora: LoraModel, dir: string, name = lora.activeAdapter): Promise<void> {
  const fs = await importNodeBuiltin('node:fs/promises');
  const path = await importNodeBuiltin('node:path');
  await fs.mkdir(dir, { recursive: true });
  // PEFT's fan_in_fan_out: the adapted Linear stores its weight as [in, out] (GPT-2's Conv1D).
  const fanInFanOut = lora.loraLayers().some(([, l]) => l instanceof LoraLinear && l.adapterNames().includes(name) && l.base_layer.weight.layout === 'same');
  const tensors = adapterStateDict(lora, name);
  try {
    await writeFileAtomic(path.join(dir, ADAPTER_WEIGHTS), await tensorsToSafetensors(tensors, { format: 'pt' }));
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  await writeFileAtomic(path.join(dir, ADAPTER_CONFIG), `${JSON.stringify(toPeftConfig(lora.config(name), fanInFanOut), null, 2)}\n`);
}

/**
 * Adds the adapter saved in `dir` (by PEFT or tfkit) to `model` — or to an existing `LoraModel`
 * as another named adapter — and loads its weights. Every tensor must find its place.
 */
export async function loadLoraAdapter(target: Module | LoraModel, dir: string, name = 'default'): Promise<LoraModel> {
  const fs = await importNodeBuiltin('node:fs/promises');
  const path = await importNodeBuiltin('node:path');
  const configPath = path.join(dir, ADAPTER_CONFIG);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await fs.readFile(configPath, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new CheckpointError(`${configPath}: cannot read the adapter config (${(cause as Error).message})`, { cause });
  }
  const config = fromPeftConfig(json, configPath);
  const weightsPath = path.join(dir, ADAPTER_WEIGHTS);
  const bytes = await fs.readFile(weightsPath).catch((cause: unknown) => {
    throw new CheckpointError(`${weightsPath}: cannot read the adapter weights (${(cause as Error).message})`, { cause });
  });
  const { tensors } = safetensorsToTensors(new Uint8Array(bytes), weightsPath);
  const lora = target instanceof LoraModel ? target : new LoraModel(target);
  try {
    lora.addAdapter(name, config);
    const previous = lora.activeAdapter;
    lora.setAdapter(name);
    const params = new Map<string, { assignFromCheckpoint(t: tf.Tensor): void; checkpointShape: number[] }>();
    for (const [path, layer] of lora.loraLayers()) {
      if (!layer.adapterNames().includes(name)) continue;
      const { A, B } = layer.weights(name);
      const [a, b] = adapterKeys(path, layer);
      params.set(a, A);
      params.set(b, B);
    }
    for (const [pname, p] of [...lora.biasParams(config), ...lora.modulesToSaveParams(config)]) params.set(`${PREFIX}${pname}`, p);
    const missing = [...params.keys()].filter((k) => !tensors.has(k));
    const unexpected = [...tensors.keys()].filter((k) => !params.has(k));
    const misshaped = [...tensors].filter(([k, t]) => params.has(k) && t.shape.join() !== params.get(k)?.checkpointShape.join()).map(([k, t]) => `${k} [${t.shape}]`);
    if (missing.length || unexpected.length || misshaped.length) {
      lora.setAdapter(previous);
      if (previous !== name) lora.deleteAdapter(name);
      throw new FinetuneError(
        `${weightsPath} does not fit the model: ${[
          missing.length ? `missing ${missing.join(', ')}` : '',
          unexpected.length ? `unexpected ${unexpected.join(', ')}` : '',
          misshaped.length ? `mis-shaped ${misshaped.join(', ')}` : '',
        ].filter(Boolean).join('; ')}`,
      );
    }
    for (const [k, t] of tensors) params.get(k)?.assignFromCheckpoint(t);
    if (previous !== name) lora.setAdapter(previous);
    return lora;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
