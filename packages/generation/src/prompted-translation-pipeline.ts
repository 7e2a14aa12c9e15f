/**
 * `translation` with a causal language model trained on task prompts: the model saw
 * `<source> <to-fr> <target><eos>` and continues a source followed by a target-language token with
 * its translation (the task-token recipe of GPT-2-style multitask models). The target language is
 * a call option (`tgtLang: 'fr'`, as Hugging Face's translation pipeline takes `tgt_lang`); the
 * languages a model knows are the `<to-xx>` tokens of its tokenizer.
 */
import { ConfigError, type Registry } from '@tfkit/core-tensor';
import { generate, type GenerateOptions } from './generate.js';
import type { GenerationModel } from './model.js';

/** What the pipeline needs of a tokenizer; `@tfkit/tokenizers`' `Tokenizer` fits. */
export interface PromptTokenizer {
  encode(text: string): { ids: number[] };
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  /** Tokens added to the vocabulary (the task tokens are among them). */
  readonly addedTokens: readonly { content: string }[];
}

export interface PromptedTranslationPipelineOptions {
  model: GenerationModel;
  tokenizer: PromptTokenizer;
  /** How a language code becomes its task token (default `<to-{lang}>`). */
  taskToken?: (lang: string) => string;
  /** Finds each target-language token's code (default: `<to-xx>` → `xx`); inverse of `taskToken`. */
  languageOf?: (token: string) => string | undefined;
  /** Looks up the model's maximum positions (see `generate`'s `registry`). */
  registry?: Registry;
}

export interface PromptedTranslationCallOptions extends GenerateOptions {
  /** Target language code (`fr`); may be left out when the model knows one language only. */
  tgtLang?: string;
}

export interface TranslationText {
  translationText: string;
}

const defaultTaskToken = (lang: string) => `<to-${lang}>`;
const defaultLanguageOf = (token: string) => /^<to-([^<>\s]+)>$/.exec(token)?.[1];

export class PromptedTranslationPipeline {
  readonly task = 'translation';
  readonly model: GenerationModel;
  readonly tokenizer: PromptTokenizer;
  private readonly taskToken: (lang: string) => string;
  private readonly languageOf: (token: string) => string | undefined;
  private readonly registry: Registry | undefined;

  constructor(options: PromptedTranslationPipelineOptions) {
    if (typeof options?.model?.startDecoding !== 'function' || typeof options.tokenizer?.tokenToId !== 'function') {
      throw new ConfigError('translation (task prompts): create({ model, tokenizer }) needs a model that can generate and a tokenizer');
    }
    this.model = options.model;
    this.tokenizer = options.tokenizer;
    this.taskToken = options.taskToken ?? defaultTaskToken;
    this.languageOf = options.languageOf ?? defaultLanguageOf;
    this.registry = options.registry;
  }

  /** The target languages the tokenizer has task tokens for (`['de', 'fr']`). */
  get targetLanguages(): string[] {
    return this.tokenizer.addedTokens.map((t) => this.languageOf(t.content)).filter((l): l is string => l !== undefined).sort();
  }

  private targetToken(tgtLang: string | undefined): string {
    const known = this.targetLanguages;
    if (tgtLang === undefined) {
      if (known.length === 1) return this.taskToken(known[0] as string);
      throw new ConfigError(
        known.length
          ? `translation: give the target language (tgtLang); this model translates into ${known.join(', ')}`
          : 'translation: this model\'s tokenizer has no target-language task tokens (like <to-fr>), so it was not trained to translate with task prompts',
      );
    }
    const token = this.taskToken(tgtLang);
    if (this.tokenizer.tokenToId(token) === undefined) {
      throw new ConfigError(`translation: the tokenizer has no ${token} token; this model translates into ${known.length ? known.join(', ') : 'no language (it has no task tokens)'}`);
    }
    return token;
  }

  /** One translation per text, in order. */
  async call(text: string, options?: PromptedTranslationCallOptions): Promise<TranslationText[]>;
  async call(texts: string[], options?: PromptedTranslationCallOptions): Promise<TranslationText[][]>;
  async call(input: string | string[], options: PromptedTranslationCallOptions = {}): Promise<TranslationText[] | TranslationText[][]> {
    const { tgtLang, ...generateOptions } = options;
    const token = this.targetToken(tgtLang);
    const texts = typeof input === 'string' ? [input] : input;
    if (!texts.length) throw new ConfigError('translation: no input text');
    const prompts = texts.map((t) => this.tokenizer.encode(`${t.trim()} ${token}`).ids);
    const out = await generate(this.model, prompts, { ...(this.registry ? { registry: this.registry } : {}), ...generateOptions });
    const perText = out.sequences.length / texts.length;
    const results = texts.map((_, i) =>
      out.sequences.slice(i * perText, (i + 1) * perText).map((seq) => ({ translationText: this.tokenizer.decode(seq.slice(out.prefixLength), { skipSpecialTokens: true }).trim() })),
    );
    return typeof input === 'string' ? (results[0] as TranslationText[]) : results;
  }

  dispose(): void {
    (this.model as Partial<{ dispose(): void }>).dispose?.();
  }
}
