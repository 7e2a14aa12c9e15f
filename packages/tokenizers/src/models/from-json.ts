import type { Registry } from '@tfkit/core-tensor/lite';
import { TokenizerError } from '../errors.js';
import { At, Fields, quote } from '../json-reader.js';
import { BPE } from './bpe.js';
import type { ModelJson, TokenizerModel } from './model.js';
import { WordLevel } from './wordlevel.js';
import { WordPiece } from './wordpiece.js';

/** Infers the type of an untyped model entry (old files omit it) from its fields. */
function modelType(f: Fields): string {
  if (f.get('type') !== undefined) return f.string('type');
  if (f.get('merges') !== undefined) return 'BPE';
  if (f.get('max_input_chars_per_word') !== undefined || f.get('continuing_subword_prefix') !== undefined) return 'WordPiece';
  return 'WordLevel';
}

/** A registry entry's `fromJSON`; the built-in ones also take where the entry sits, for error messages. */
type ModelFromJSON = (json: ModelJson, at: At) => unknown;

/**
 * Builds the model of a tokenizer.json. A registry's `tokenizer` namespace, when given and holding
 * the type, takes precedence, so plugins can add or replace model types.
 */
export function modelFromJSON(json: unknown, registry?: Registry, at = new At('tokenizer.json', 'model')): TokenizerModel {
  const f = Fields.of(json, at);
  const type = modelType(f);
  const typed: ModelJson = { ...f.json, type };
  const entry = registry?.tokenizer.tryGet(type);
  if (entry) return (entry.fromJSON as ModelFromJSON)(typed, at) as TokenizerModel;
  switch (type) {
    case 'BPE':
      return BPE.fromJSON(typed, at);
    case 'WordPiece':
      return WordPiece.fromJSON(typed, at);
    case 'WordLevel':
      return WordLevel.fromJSON(typed, at);
    default:
      throw new TokenizerError(
        `${f.where('type')}: model type ${quote(type)} is not supported. Supported: BPE, WordPiece, WordLevel` +
          (registry ? `, or one registered in registry.tokenizer (${registry.tokenizer.keys().join(', ') || 'none registered'})` : '') +
          '.',
      );
  }
}
