/**
 * The family facts fine-tuning reads from the model's registry entry, found by the model's
 * `modelType` (`config.model_type`): layer naming, LoRA's default targets and init rules. This
 * package never names a family; a third-party family gets the same defaults from its own entry.
 */
import type { ModelEntry, Registry } from '@tfkit/core-tensor';
import { FinetuneError } from '../errors.js';

export interface FamilyOptions {
  /** The registry whose entry for the model's `modelType` supplies the family's facts. */
  registry?: Registry;
}

/** The registry entry of the model's family, when the model has a `modelType` and the registry knows it. */
export function familyEntry(model: unknown, registry: Registry | undefined): ModelEntry | undefined {
  const modelType = (model as { modelType?: unknown } | null | undefined)?.modelType;
  return typeof modelType === 'string' ? registry?.model.tryGet(modelType) : undefined;
}

/** LoRA's default `targetModules` for the model's family (PEFT's per-family mapping), or an error saying what to pass. */
export function defaultLoraTargets(model: unknown, registry: Registry | undefined): string[] {
  const targets = familyEntry(model, registry)?.loraTargetModules;
  if (targets?.length) return [...targets];
  const modelType = (model as { modelType?: unknown } | null | undefined)?.modelType;
  const why = typeof modelType !== 'string'
    ? 'the model has no modelType'
    : !registry
      ? 'no registry was given to look up its family'
      : registry.model.has(modelType)
        ? `the registry entry of "${modelType}" has no loraTargetModules`
        : `model type "${modelType}" is not registered`;
  throw new FinetuneError(`LoRA: no targetModules given and no default for this model (${why}); pass targetModules, e.g. ["query", "value"]`);
}
