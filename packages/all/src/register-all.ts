/**
 * Everything tfkit has, in one registry: the backends (loaded lazily, on activation), tokenizer
 * model types, logits processors, every model family with its tasks, and the optimizers,
 * schedules and adapters of fine-tuning; plus the embedded default models of the tasks that have one.
 */
import { registerAllBackends } from '@tfkit/backends';
import { createRegistry, setDefaultModel, type Registry, type RegisterOptions } from '@tfkit/core-tensor';
import { registerFinetune } from '@tfkit/finetune';
import { registerGeneration } from '@tfkit/generation';
import { registerBart } from '@tfkit/models-bart';
import { registerBert } from '@tfkit/models-bert';
import { registerGpt2 } from '@tfkit/models-gpt';
import { registerSeq2Seq } from '@tfkit/models-seq2seq';
import { registerViT } from '@tfkit/models-vit';
import { registerTokenizers } from '@tfkit/tokenizers';

/**
 * The model `pipeline(task)` loads when none is given: a folder under this package's `assets/`
 * (a Hugging Face checkpoint with its tokenizer and model card). Adding a default is one line here.
 */
export const DEFAULT_MODELS: Readonly<Record<string, string>> = {
  'text-generation': 'tiny-gpt2',
  'image-classification': 'tiny-vit-fashion',
  translation: 'tiny-bart-translation',
  'text2text-generation': 'tiny-bart-translation',
  summarization: 'tiny-bart-summarization',
  'fill-mask': 'tiny-bert',
  'feature-extraction': 'tiny-bert',
  'text-classification': 'tiny-bert-authors',
  'token-classification': 'tiny-bert-ner',
  'question-answering': 'tiny-bert-qa',
};

/** Where an embedded model lives: a `file:` URL in Node, an `http(s):` URL in a page. */
export function embeddedModelUrl(name: string): string {
  return new URL(`../assets/${name}`, import.meta.url).href;
}

/** Registers everything in `registry` (a duplicate key is an error unless `{ override: true }`). */
export function registerAll(registry: Registry, options: RegisterOptions = {}): Registry {
  registerAllBackends(registry, options);
  registerTokenizers(registry, options);
  registerGeneration(registry, options);
  registerBert(registry, options);
  registerGpt2(registry, options);
  registerBart(registry, options);
  registerViT(registry, options);
  registerSeq2Seq(registry, options);
  registerFinetune(registry, options);
  for (const [task, name] of Object.entries(DEFAULT_MODELS)) setDefaultModel(registry, task, embeddedModelUrl(name), options);
  return registry;
}

let shared: Registry | undefined;

/** The registry `pipeline()` uses when given none: created with everything on first use (never on import). */
export function defaultRegistry(): Registry {
  shared ??= registerAll(createRegistry());
  return shared;
}
