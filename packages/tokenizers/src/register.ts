import type { Registry, RegisterOptions } from '@tfkit/core-tensor/lite';
import { BPE } from './models/bpe.js';
import type { At } from './json-reader.js';
import { WordLevel } from './models/wordlevel.js';
import { WordPiece } from './models/wordpiece.js';

/**
 * Registers the tokenizer models under their tokenizer.json `model.type` keys (`BPE`, `WordPiece`,
 * `WordLevel`). `Tokenizer.fromPretrained(src, { registry })` then builds models through it, so a
 * plugin can add a model type (or replace one with `{ override: true }`).
 */
export function registerTokenizers(registry: Registry, options: RegisterOptions = {}): void {
  // The second argument (where the entry sits in the file) is passed by tfkit's loader for error messages.
  registry.tokenizer.register('BPE', { fromJSON: (json, at?: At) => BPE.fromJSON(json, at) }, options);
  registry.tokenizer.register('WordPiece', { fromJSON: (json, at?: At) => WordPiece.fromJSON(json, at) }, options);
  registry.tokenizer.register('WordLevel', { fromJSON: (json, at?: At) => WordLevel.fromJSON(json, at) }, options);
}
