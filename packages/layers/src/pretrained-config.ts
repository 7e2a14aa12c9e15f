/**
 * The parts of Hugging Face's `PretrainedConfig` every family's config shares: the label maps of
 * classification heads (`id2label`, `label2id`, `num_labels`) and how `save_pretrained` finishes a
 * `config.json`. Each family keeps its own keys, defaults and validation.
 */
import type { HfConfig } from '@tfkit/core-tensor';

/** Label names by class index and back; the size of `id2label` is the number of labels. */
export interface LabelMaps {
  id2label: Record<number, string>;
  label2id: Record<string, number>;
}

/** Number of labels of a config (the size of `id2label`). */
export function numLabels(config: Pick<LabelMaps, 'id2label'>): number {
  return Object.keys(config.id2label).length;
}

/** Labels `LABEL_0 … LABEL_{n-1}` for a head with `n` classes. */
export function defaultLabels(n: number): LabelMaps {
  const id2label: Record<number, string> = {};
  const label2id: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    id2label[i] = `LABEL_${i}`;
    label2id[`LABEL_${i}`] = i;
  }
  return { id2label, label2id };
}

/**
 * A config from a family's defaults and a partial input: `numLabels` gives labels `LABEL_0 …
 * LABEL_{n-1}` unless `id2label` is given, and `label2id` follows `id2label` when only that is.
 */
export function configWithLabels<C extends LabelMaps>(defaults: C, partial: Partial<C> & { numLabels?: number }): C {
  const { numLabels: n, ...rest } = partial;
  const given = rest as Partial<C>;
  const labels = given.id2label ? {} : n !== undefined ? defaultLabels(n) : {};
  const config: C = { ...defaults, ...labels, ...given };
  if (given.id2label && !given.label2id) {
    config.label2id = Object.fromEntries(Object.entries(given.id2label).map(([i, l]) => [l, Number(i)]));
  }
  return config;
}

/**
 * The labels of a `config.json` as a family's config input takes them: `id2label` with numeric
 * keys, `label2id` only when it names the same labels, or `numLabels` when the file gives only
 * `num_labels` — or an explicit `num_labels` of another size than `id2label`, which wins as in
 * Hugging Face (`LABEL_0 … LABEL_{n-1}`). An `id2label` that is not an object is ignored: the
 * family rejects it first, its own way.
 */
export function labelsFromHf(json: HfConfig): Partial<LabelMaps> & { numLabels?: number } {
  const id2label = json['id2label'];
  const n = json['num_labels'];
  const out: Partial<LabelMaps> & { numLabels?: number } = {};
  if (id2label && typeof id2label === 'object') {
    const labels = Object.fromEntries(Object.entries(id2label).map(([i, l]) => [Number(i), String(l)]));
    if (typeof n !== 'number' || n === Object.keys(labels).length) {
      out.id2label = labels;
      const label2id = json['label2id'];
      const names = Object.values(labels).sort().join('\u0000');
      if (label2id && typeof label2id === 'object' && Object.keys(label2id).sort().join('\u0000') === names) {
        out.label2id = Object.fromEntries(Object.entries(label2id).map(([l, i]) => [l, Number(i)]));
      }
    }
  }
  if (typeof n === 'number' && !out.id2label) out.numLabels = n;
  return out;
}

/**
 * Rejects label keys of the wrong type in a `config.json` (an `id2label` that is not an object of
 * index → label, a `num_labels` that is not a number) with the family's error, made by `fail`.
 */
export function checkHfLabelTypes(json: HfConfig, fail: (key: string, problem: string) => Error): void {
  const id2label = json['id2label'];
  if (id2label !== undefined && id2label !== null && (typeof id2label !== 'object' || Array.isArray(id2label))) {
    throw fail('id2label', 'must be an object of index → label');
  }
  const n = json['num_labels'];
  if (n !== undefined && typeof n !== 'number') throw fail('num_labels', `must be a positive integer, got ${JSON.stringify(n)}`);
}

/**
 * Finishes a `config.json` as `save_pretrained` writes it: the labels (string keys), no
 * `num_labels` (`id2label` says it), `torch_dtype` float32 unless the loaded file named one, keys
 * sorted.
 */
export function finishHfConfig(out: HfConfig, labels: LabelMaps): HfConfig {
  out['id2label'] = Object.fromEntries(Object.entries(labels.id2label).map(([i, l]) => [String(i), l]));
  out['label2id'] = { ...labels.label2id };
  delete out['num_labels'];
  if (out['torch_dtype'] === undefined) out['torch_dtype'] = 'float32';
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
