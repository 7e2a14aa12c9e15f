/**
 * An example third-party tfkit plugin: a tiny MLP family written only against
 * `@tfkit/core-tensor`'s public API (`model_type: "example-mlp"`, two architectures), a tower
 * family built from @tfkit/layers modules with the facts fine-tuning reads (`example-tower`, see
 * tower.ts), and a task of its own (`example-regression`) that both families serve. One call,
 * `registerExamplePlugin(registry)`, makes `AutoModel.fromPretrained` and `pipeline()` build them.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError,
  ConfigError,
  getActivation,
  linear,
  registerTask,
  saveCheckpoint,
  type Checkpoint,
  type FromPretrainedOptions,
  type ModelArchitecture,
  type ModelEntry,
  type PretrainedModel,
  type Registry,
  type SavePretrainedOptions,
  type TaskEntry,
  type TaskImplementation,
  type TfkitPlugin,
} from '@tfkit/core-tensor';
import { exampleTowerFamily, type ExampleTowerForRegression } from './tower.js';

export { ExampleTowerForRegression, ExampleTowerTier, exampleTowerConfigFromHf, exampleTowerFamily, type ExampleTowerConfig } from './tower.js';

/* Declaration merging: the registry now knows these keys and their entry types. */
declare module '@tfkit/core-tensor' {
  interface ModelEntries {
    'example-mlp': ExampleMlpFamily;
    'example-tower': ModelEntry;
  }
  interface TaskEntries {
    'example-regression': TaskEntry<ExampleRegressionPipeline>;
  }
}

export interface ExampleMlpFamily extends ModelEntry {
  readonly architectures: {
    readonly ExampleMlpModel: ModelArchitecture<ExampleMlpModel>;
    readonly ExampleMlpForRegression: ModelArchitecture<ExampleMlpForRegression>;
  };
}


export interface ExampleMlpConfig {
  inputSize: number;
  hiddenSize: number;
  hiddenAct: string;
}

/** The only place the checkpoint's (snake_case) config keys appear. */
export function exampleMlpConfigFromHf(json: Record<string, unknown>, file = 'config.json'): ExampleMlpConfig {
  const size = (key: string): number => {
    const value = json[key];
    if (!Number.isInteger(value) || (value as number) <= 0) throw new ConfigError(`${file}: "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    return value as number;
  };
  const hiddenAct = json['hidden_act'] ?? 'gelu';
  if (typeof hiddenAct !== 'string') throw new ConfigError(`${file}: "hidden_act" must be a string, got ${JSON.stringify(hiddenAct)}`);
  getActivation(hiddenAct); // fails early, naming the known activations
  return { inputSize: size('input_size'), hiddenSize: size('hidden_size'), hiddenAct };
}

/** Takes a checkpoint tensor, checking its shape; PyTorch Linear weights are stored [out, in]. */
function take(weights: Map<string, tf.Tensor>, name: string, shape: number[], source: string): tf.Tensor {
  const t = weights.get(name);
  if (!t) throw new CheckpointError(`${source}: weight "${name}" is missing`);
  if (t.shape.join() !== shape.join()) throw new CheckpointError(`${source}: weight "${name}" has shape [${t.shape}], expected [${shape}]`);
  return t;
}

export class ExampleMlpModel implements PretrainedModel {
  readonly modelType = 'example-mlp';
  readonly architecture: string = 'ExampleMlpModel';
  readonly config: ExampleMlpConfig;
  /** Held [in, out] so the dense layer is one fast 2-D matMul. */
  protected readonly fc1Weight: tf.Variable;
  protected readonly fc1Bias: tf.Variable;

  constructor(config: ExampleMlpConfig, checkpoint: Checkpoint) {
    this.config = config;
    const { inputSize, hiddenSize } = config;
    const w = take(checkpoint.weights, 'mlp.fc1.weight', [hiddenSize, inputSize], checkpoint.source);
    this.fc1Weight = tf.tidy(() => tf.variable(tf.transpose(w)));
    this.fc1Bias = tf.variable(take(checkpoint.weights, 'mlp.fc1.bias', [hiddenSize], checkpoint.source));
  }

  /** (B, input) → (B, hidden) */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => getActivation(this.config.hiddenAct)(linear(x, this.fc1Weight, this.fc1Bias)) as tf.Tensor2D);
  }

  /** Weights by checkpoint name in checkpoint layout (new tensors; the caller disposes them). */
  stateDict(): Map<string, tf.Tensor> {
    return new Map([
      ['mlp.fc1.weight', tf.transpose(this.fc1Weight)],
      ['mlp.fc1.bias', tf.clone(this.fc1Bias)],
    ]);
  }

  async savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<void> {
    const weights = this.stateDict();
    const { inputSize, hiddenSize, hiddenAct } = this.config;
    try {
      await saveCheckpoint(dir, {
        config: { model_type: this.modelType, architectures: [this.architecture], input_size: inputSize, hidden_size: hiddenSize, hidden_act: hiddenAct },
        weights,
        metadata: options.metadata,
      });
    } finally {
      weights.forEach((t) => t.dispose());
    }
  }

  dispose(): void {
    this.fc1Weight.dispose();
    this.fc1Bias.dispose();
  }
}

export class ExampleMlpForRegression extends ExampleMlpModel {
  override readonly architecture: string = 'ExampleMlpForRegression';
  protected readonly headWeight: tf.Variable;
  protected readonly headBias: tf.Variable;

  constructor(config: ExampleMlpConfig, checkpoint: Checkpoint) {
    super(config, checkpoint);
    const w = take(checkpoint.weights, 'head.weight', [1, config.hiddenSize], checkpoint.source);
    this.headWeight = tf.tidy(() => tf.variable(tf.transpose(w)));
    this.headBias = tf.variable(take(checkpoint.weights, 'head.bias', [1], checkpoint.source));
  }

  /** (B, input) → (B,) */
  predict(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.reshape(linear(this.forward(x), this.headWeight, this.headBias), [-1]) as tf.Tensor1D);
  }

  override stateDict(): Map<string, tf.Tensor> {
    const weights = super.stateDict();
    weights.set('head.weight', tf.transpose(this.headWeight));
    weights.set('head.bias', tf.clone(this.headBias));
    return weights;
  }

  override dispose(): void {
    super.dispose();
    this.headWeight.dispose();
    this.headBias.dispose();
  }
}

/** Builds one architecture; weights the class does not use are an error unless `strict: false`. */
function architecture<M extends ExampleMlpModel>(
  Cls: new (config: ExampleMlpConfig, checkpoint: Checkpoint) => M,
  names: readonly string[],
): ModelArchitecture<M> {
  return {
    fromCheckpoint(checkpoint: Checkpoint, options: FromPretrainedOptions) {
      const config = exampleMlpConfigFromHf(checkpoint.config, `${checkpoint.source}/config.json`);
      const unexpected = [...checkpoint.weights.keys()].filter((k) => !names.includes(k));
      if (unexpected.length && options.strict !== false) throw new CheckpointError(`${checkpoint.source}: unexpected weights ${unexpected.join(', ')} (pass strict: false to ignore them)`);
      return new Cls(config, checkpoint);
    },
  };
}

export const exampleMlpFamily: ExampleMlpFamily = {
  architectures: {
    ExampleMlpModel: architecture(ExampleMlpModel, ['mlp.fc1.weight', 'mlp.fc1.bias']),
    ExampleMlpForRegression: architecture(ExampleMlpForRegression, ['mlp.fc1.weight', 'mlp.fc1.bias', 'head.weight', 'head.bias']),
  },
  defaultArchitecture: 'ExampleMlpModel',
  taskArchitectures: { 'example-regression': 'ExampleMlpForRegression' },
};

/** What `example-regression` needs of a model. */
export type ExampleRegressionModel = ExampleMlpForRegression | ExampleTowerForRegression;

/** The `example-regression` pipeline: rows of features in, one prediction per row out. */
export class ExampleRegressionPipeline {
  readonly task = 'example-regression';
  readonly model: ExampleRegressionModel;

  constructor(model: ExampleRegressionModel) {
    if (typeof model?.predict !== 'function') throw new ConfigError('example-regression: the model has no regression head; load it as ExampleMlpForRegression or ExampleTowerForRegression');
    this.model = model;
  }

  call(rows: number[][]): number[] {
    const x = tf.tensor2d(rows, [rows.length, this.model.config.inputSize]);
    try {
      const y = this.model.predict(x);
      const values = Array.from(y.dataSync());
      y.dispose();
      return values;
    } finally {
      x.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** How both families serve the task: nothing to preprocess; the class comes from each family's `taskArchitectures`. */
export const exampleRegressionTask: TaskImplementation<ExampleRegressionPipeline> = {
  create: ({ model }) => new ExampleRegressionPipeline(model as unknown as ExampleRegressionModel),
};

/** Registers the `example-mlp` and `example-tower` families and the `example-regression` task for both. */
export function registerExamplePlugin(registry: Registry): void {
  registry.model.register('example-mlp', exampleMlpFamily);
  registry.model.register('example-tower', exampleTowerFamily);
  const description = 'Predicts one number per row of features';
  registerTask(registry, 'example-regression', 'example-mlp', exampleRegressionTask, { description });
  registerTask(registry, 'example-regression', 'example-tower', exampleRegressionTask, { description });
}

/** The same, as a plugin for `registry.use(examplePlugin)`. */
export const examplePlugin: TfkitPlugin = { name: '@tfkit/example-plugin', register: registerExamplePlugin };
