import type { Registry } from '@tfkit/core-tensor/lite';
import { modelType, unknownComponent, componentFromJSON, isRegistered } from '../components.js';
import { At, Fields } from '../json-reader.js';
import type { ModelJson, TokenizerModel } from './model.js';

/** A registry entry's `fromJSON`; the built-in ones also take where the entry sits, for error messages. */
type ModelFromJSON = (json: ModelJson, at: At) => unknown;

/**
 * Builds the model of a tokenizer.json. A registry's `tokenizer` namespace, when given and holding
 * the type, takes precedence, so plugins can add or replace model types; otherwise the model types
 * of the component registry (components.ts) build it.
 */
export function modelFromJSON(json: unknown, registry?: Registry, at = new At('tokenizer.json', 'model')): TokenizerModel {
  const f = Fields.of(json, at);
  const type = modelType(f);
  const entry = registry?.tokenizer.tryGet(type);
  if (entry) return (entry.fromJSON as ModelFromJSON)({ ...f.json, type }, at) as TokenizerModel;
  if (!isRegistered('model', type)) {
    throw unknownComponent('model', type, f.where('type'), registry ? `, or one registered in registry.tokenizer (${registry.tokenizer.keys().join(', ') || 'none registered'})` : '');
  }
  return componentFromJSON<TokenizerModel>('model', json, at)!;
}
