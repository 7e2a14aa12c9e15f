import type { Registry } from '@tfkit/core-tensor/lite';
import { TokenizerError } from '../errors.js';
import { BPE } from './bpe.js';
import type { ModelJson, TokenizerModel } from './model.js';
import { WordLevel } from './wordlevel.js';
import { WordPiece } from './wordpiece.js';

/** Infers the type of an untyped model entry (old files omit it) from its fields. */
function modelType(json: ModelJson): string {
  if (typeof json.type === 'string') return json.type;
  if ('merges' in json) return 'BPE';
  if ('max_input_chars_per_word' in json || 'continuing_subword_prefix' in json) return 'WordPiece';
  return 'WordLevel';
}

/**
 * Builds the model of a tokenizer.json. A registry's `tokenizer` namespace, when given and holding
 * the type, takes precedence, so plugins can add or replace model types.
 */
export function modelFromJSON(json: { type?: string; [key: string]: unknown }, registry?: Registry): TokenizerModel {
  const typed = { ...json, type: modelType(json as ModelJson) } as ModelJson;
  const entry = registry?.tokenizer.tryGet(typed.type);
  if (entry) return entry.fromJSON(typed) as TokenizerModel;
  switch (typed.type) {
    case 'BPE':
      return BPE.fromJSON(typed);
    case 'WordPiece':
      return WordPiece.fromJSON(typed);
    case 'WordLevel':
      return WordLevel.fromJSON(typed);
    default:
      throw new TokenizerError(
        `tokenizer.json: model type "${typed.type}" is not supported. Supported: BPE, WordPiece, WordLevel` +
          (registry ? `, or one registered in registry.tokenizer (${registry.tokenizer.keys().join(', ') || 'none registered'})` : '') +
          '.',
      );
  }
}
