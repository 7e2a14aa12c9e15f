/**
 * `DataCollatorForCausalLM`: batches of texts for a causal language model, as Hugging Face's
 * `DataCollatorForLanguageModeling(mlm=False)`: each text tokenized (truncated to `maxLength`),
 * right-padded to the batch's longest, `labels` the input ids with −100 on padding (the model
 * shifts them: position t predicts t + 1). With `promptColumn`, each example is a prompt and a
 * completion (`source <to-fr>` and ` target`): the prompt's tokens are labelled −100, so only the
 * completion is learnt (TRL's completion-only loss).
 */
import { FinetuneError } from '../errors.js';
import { padSequences, type Batch, type Collator, type TokenizerLike } from './collator.js';
import type { Example } from './dataset.js';
import { IGNORE_INDEX } from './labels.js';

export interface CausalLMCollatorOptions {
  tokenizer: TokenizerLike;
  /** Padding id of the inputs (padding is masked out and labelled −100, so any id works). */
  padTokenId: number;
  /** Field holding the text (default `text`); with `promptColumn`, the completion. */
  textColumn?: string;
  /** Field holding a prompt that precedes the text and is left out of the loss. */
  promptColumn?: string;
  /** Keep the first `maxLength` tokens of each text. */
  maxLength?: number;
  /** Appended to every text (the end-of-text token), so the model learns where texts end. */
  eosTokenId?: number;
}

export class DataCollatorForCausalLM<T extends Example = Example> {
  private readonly o: CausalLMCollatorOptions;

  constructor(options: CausalLMCollatorOptions) {
    if (options.maxLength !== undefined && !(Number.isInteger(options.maxLength) && options.maxLength >= 2)) {
      throw new FinetuneError(`DataCollatorForCausalLM: maxLength must be an integer ≥ 2 (a token and the one it predicts), got ${JSON.stringify(options.maxLength)}`);
    }
    this.o = options;
  }

  /** The token ids of a prompt (left out of the loss) and a text: truncated, the end-of-text token after the text when configured. */
  ids(text: string, prompt?: string): { ids: number[]; promptLength: number } {
    const head = prompt === undefined ? [] : [...this.o.tokenizer.encode(prompt).ids];
    const ids = [...head, ...this.o.tokenizer.encode(text).ids];
    if (this.o.eosTokenId !== undefined) ids.push(this.o.eosTokenId);
    return { ids: this.o.maxLength === undefined ? ids : ids.slice(0, this.o.maxLength), promptLength: head.length };
  }

  /** Use as a `Collator`: `collator: c.collate`. */
  readonly collate: Collator<T> = (examples) => {
    if (!examples.length) throw new FinetuneError('DataCollatorForCausalLM: an empty batch');
    const column = this.o.textColumn ?? 'text';
    const promptColumn = this.o.promptColumn;
    const rows = examples.map((ex, i) => {
      const text = ex[column];
      if (typeof text !== 'string') throw new FinetuneError(`DataCollatorForCausalLM: example ${i} has no text in "${column}" (fields: ${Object.keys(ex).join(', ')})`);
      const prompt = promptColumn === undefined ? undefined : ex[promptColumn];
      if (promptColumn !== undefined && typeof prompt !== 'string') throw new FinetuneError(`DataCollatorForCausalLM: example ${i} has no prompt in "${promptColumn}" (fields: ${Object.keys(ex).join(', ')})`);
      const row = this.ids(text, prompt as string | undefined);
      if (row.ids.length < 2) throw new FinetuneError(`DataCollatorForCausalLM: example ${i} has ${row.ids.length} token${row.ids.length === 1 ? '' : 's'}; a causal LM learns from at least two`);
      if (row.promptLength >= row.ids.length) throw new FinetuneError(`DataCollatorForCausalLM: example ${i}'s prompt fills all ${row.ids.length} tokens (maxLength); nothing is left to learn from`);
      return row;
    });
    const length = Math.max(...rows.map((r) => r.ids.length));
    const batch: Batch = {
      inputIds: padSequences(rows.map((r) => r.ids), this.o.padTokenId, length),
      attentionMask: padSequences(rows.map((r) => r.ids.map(() => 1)), 0, length),
      labels: padSequences(rows.map((r) => r.ids.map((id, t) => (t < r.promptLength ? IGNORE_INDEX : id))), IGNORE_INDEX, length),
    };
    return batch;
  };
}
