/**
 * A second example family, built from @tfkit/layers modules so @tfkit/finetune can train it: a
 * tower of residual tiers (`model_type: "example-tower"`). Its names are ones no default knows
 * (`intake`, `tiers.{i}.ff`, `tiers.{i}.out`), so its registry entry carries the facts shared code
 * needs — layer naming for layer-wise LR decay, freezing and re-initialisation, LoRA's default
 * targets, init rules, the class each task loads — and fine-tuning reads them from there.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError, Random, saveCheckpoint, type Checkpoint, type FromPretrainedOptions, type HfConfig, type ModelEntry, type PretrainedModel,
  type SavePretrainedOptions,
} from '@tfkit/core-tensor';
import { gelu, LayerNorm, Linear, Module, ModuleList } from '@tfkit/layers';

export interface ExampleTowerConfig {
  inputSize: number;
  hiddenSize: number;
  numTiers: number;
  /** Std of the normal init (config.json `init_std`). */
  initStd: number;
}

/** The only place the checkpoint's (snake_case) config keys appear. */
export function exampleTowerConfigFromHf(json: HfConfig, file = 'config.json'): ExampleTowerConfig {
  const size = (key: string): number => {
    const value = json[key];
    if (!Number.isInteger(value) || (value as number) <= 0) throw new ConfigError(`${file}: "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    return value as number;
  };
  const initStd = json['init_std'] ?? 0.02;
  if (typeof initStd !== 'number' || !(initStd > 0)) throw new ConfigError(`${file}: "init_std" must be a positive number, got ${JSON.stringify(initStd)}`);
  return { inputSize: size('input_size'), hiddenSize: size('hidden_size'), numTiers: size('num_tiers'), initStd };
}

/** h + out(gelu(ff(h))), normalised. */
export class ExampleTowerTier extends Module {
  ff: Linear;
  out: Linear;
  norm: LayerNorm;

  constructor(hidden: number, std: number, rng: Random) {
    super();
    this.ff = new Linear(hidden, hidden, { rng, initStd: std });
    this.out = new Linear(hidden, hidden, { rng, initStd: std });
    this.norm = new LayerNorm(hidden);
  }

  /** (B, H) → (B, H) */
  forward(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.norm.forward(tf.add(h, this.out.forward(gelu(this.ff.forward(h))))));
  }
}

/** (B, input) → intake → tiers → head → (B,) */
export class ExampleTowerForRegression extends Module implements PretrainedModel {
  static readonly architecture = 'ExampleTowerForRegression';
  readonly modelType = 'example-tower';
  readonly architecture = ExampleTowerForRegression.architecture;
  readonly config: ExampleTowerConfig;
  readonly hfConfig: HfConfig;
  intake: Linear;
  tiers: ModuleList<ExampleTowerTier>;
  head: Linear;

  constructor(config: ExampleTowerConfig, options: { hfConfig?: HfConfig; seed?: number } = {}) {
    super();
    this.config = config;
    this.hfConfig = options.hfConfig ?? {};
    const rng = new Random(options.seed ?? 0);
    this.intake = new Linear(config.inputSize, config.hiddenSize, { rng, initStd: config.initStd });
    this.tiers = new ModuleList(Array.from({ length: config.numTiers }, () => new ExampleTowerTier(config.hiddenSize, config.initStd, rng)));
    this.head = new Linear(config.hiddenSize, 1, { rng, initStd: config.initStd });
  }

  /** (B, input) → (B,) */
  predict(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      let h = this.intake.forward(x);
      for (const tier of this.tiers) h = tier.forward(h);
      return tf.reshape(this.head.forward(h), [-1]) as tf.Tensor1D;
    });
  }

  async savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<void> {
    const { inputSize, hiddenSize, numTiers, initStd } = this.config;
    const weights = this.stateDict({ includeAliases: false });
    try {
      await saveCheckpoint(dir, {
        config: { ...this.hfConfig, model_type: this.modelType, architectures: [this.architecture], input_size: inputSize, hidden_size: hiddenSize, num_tiers: numTiers, init_std: initStd },
        weights,
        metadata: options.metadata,
      });
    } finally {
      weights.forEach((t) => t.dispose());
    }
  }
}

function fromCheckpoint(checkpoint: Checkpoint, options: FromPretrainedOptions): ExampleTowerForRegression {
  const model = new ExampleTowerForRegression(exampleTowerConfigFromHf(checkpoint.config, `${checkpoint.source}/config.json`), { hfConfig: checkpoint.config });
  try {
    model.loadStateDict(checkpoint.weights, { strict: options.strict ?? true, where: checkpoint.source });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model.eval();
}

/** The family's registry entry: how to build it, and the facts fine-tuning and pipelines read. */
export const exampleTowerFamily: ModelEntry = {
  architectures: { ExampleTowerForRegression: { fromCheckpoint } },
  defaultArchitecture: ExampleTowerForRegression.architecture,
  taskArchitectures: { 'example-regression': ExampleTowerForRegression.architecture },
  // intake below tiers.{i}; the head on top.
  layerNaming: { layer: /(?:^|\.)tiers\.(\d+)\./, embeddings: /(?:^|\.)intake\./ },
  loraTargetModules: ['ff'],
  // As GPT-2 does for its residual projections: `out` starts at std/√(2·tiers).
  initRules: { stdKey: 'init_std', scaledResidual: /(?:^|\.)out$/ },
  maxPositions: () => undefined,
};
