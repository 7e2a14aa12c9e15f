/**
 * The `text-generation` task: text in, text out, for any model `generate` can drive and any
 * tokenizer with `encode`/`decode` (structurally typed, so this package needs no tokenizer).
 */
import { ConfigError, type TaskEntry } from '@tfkit/core-tensor';
import { generate, type GenerateOptions } from './generate.js';
import type { GenerationModel } from './model.js';

/* `text-generation` produces this pipeline, whichever family serves it. */
declare module '@tfkit/core-tensor' {
  interface TaskEntries {
    'text-generation': TaskEntry<TextGenerationPipeline>;
  }
}

export interface TextTokenizer {
  encode(text: string): { ids: number[] } | number[];
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
}

export interface TextGenerationPipelineOptions {
  model: GenerationModel;
  tokenizer: TextTokenizer;
}

export interface GeneratedText {
  /** The prompt followed by its continuation (or the continuation alone with `returnFullText: false`). */
  generatedText: string;
}

export class TextGenerationPipeline {
  readonly model: GenerationModel;
  readonly tokenizer: TextTokenizer;

  constructor(options: TextGenerationPipelineOptions) {
    if (!options?.model || !options.tokenizer) throw new ConfigError('text-generation pipeline: pass { model, tokenizer }');
    this.model = options.model;
    this.tokenizer = options.tokenizer;
  }

  /** One list of `numReturnSequences` results per prompt. */
  async call(prompts: string | string[], options: GenerateOptions & { returnFullText?: boolean } = {}): Promise<GeneratedText[][]> {
    const texts = typeof prompts === 'string' ? [prompts] : prompts;
    const ids = texts.map((t) => {
      const enc = this.tokenizer.encode(t);
      return Array.isArray(enc) ? enc : enc.ids;
    });
    const { returnFullText = true, ...rest } = options;
    const out = await generate(this.model, ids, { tokenizer: this.tokenizer, ...rest });
    const perPrompt = out.sequences.length / texts.length;
    return texts.map((text, p) =>
      out.sequences.slice(p * perPrompt, (p + 1) * perPrompt).map((seq) => {
        const generated = this.tokenizer.decode(seq.slice(out.prefixLength), { skipSpecialTokens: true });
        return { generatedText: returnFullText ? text + generated : generated };
      }),
    );
  }

  /** Frees the model's weights (when the model can). */
  dispose(): void {
    (this.model as Partial<{ dispose(): void }>).dispose?.();
  }
}
