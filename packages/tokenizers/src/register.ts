import type { Registry, RegisterOptions } from '@tfkit/core-tensor/lite';
import { BPE } from './models/bpe.js';
import type { ModelJson } from './models/model.js';
import { WordLevel } from './models/wordlevel.js';
import { WordPiece } from './models/wordpiece.js';

/**
 * Registers the tokenizer models under their tokenizer.json `model.type` keys (`BPE`, `WordPiece`,
 * `WordLevel`). `Tokenizer.fromPretrained(src, { registry })` then builds models through it, so a
 * plugin can add a model type (or replace one with `{ override: true }`).
 */
export function registerTokenizers(registry: Registry, options: RegisterOptions = {}): void {
  registry.tokenizer.register('BPE', { fromJSON: (json) => BPE.fromJSON(json as ModelJson) }, options);
  registry.tokenizer.register('WordPiece', { fromJSON: (json) => WordPiece.fromJSON(json as ModelJson) }, options);
  registry.tokenizer.register('WordLevel', { fromJSON: (json) => WordLevel.fromJSON(json as ModelJson) }, options);
}
