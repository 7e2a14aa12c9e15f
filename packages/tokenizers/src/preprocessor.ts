/**
 * The preprocessor loader text tasks register with `registerTask`: the tokenizer beside the
 * checkpoint, read through the same source (local directory, URL or hub id) as the weights.
 */
import type { PreprocessorContext } from '@tfkit/core-tensor/lite';
import { Tokenizer } from './tokenizer.js';

/**
 * `{ tokenizer }` from the checkpoint's files (tokenizer.json, or vocab.json + merges.txt, or
 * vocab.txt), with model types from the pipeline's registry; nothing when the caller passed a tokenizer.
 */
export async function loadTokenizerPart(context: PreprocessorContext): Promise<{ tokenizer?: Tokenizer }> {
  if (context.given['tokenizer'] !== undefined) return {};
  return { tokenizer: await Tokenizer.fromPretrained(context.files, { registry: context.registry }) };
}
