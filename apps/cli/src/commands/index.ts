import type { LazyCommand } from '../command.js';

/**
 * Every subcommand, in the order `tfkit --help` lists them: its name and summary here, its code
 * (options, usage, run) loaded when it runs. Command modules import only Node.js built-ins and the
 * CLI's own light modules at the top; tfkit packages are imported inside `run`, so `tfkit --help`
 * starts nearly as fast as Node.js itself.
 */
export const commands: LazyCommand[] = [
  { name: ['info'], summary: 'Versions, backends and registered models, tasks and tokenizers', load: async () => (await import('./info.js')).infoCommand },
  { name: ['generate'], summary: 'Continue a prompt with a language model (default: the embedded tiny model), streaming tokens', load: async () => (await import('./generate.js')).generateCommand },
  { name: ['fill-mask'], summary: 'Most likely tokens for each mask in a text (masked language model)', load: async () => (await import('./fill-mask.js')).fillMaskCommand },
  { name: ['classify'], summary: 'Label a text (or text pair) with a sequence classification model', load: async () => (await import('./classify.js')).classifyCommand },
  { name: ['ner'], summary: 'Named entities of a text (token classification) with character spans', load: async () => (await import('./ner.js')).nerCommand },
  { name: ['qa'], summary: 'Answer a question from a context (extractive question answering)', load: async () => (await import('./qa.js')).qaCommand },
  { name: ['embed'], summary: 'Vectors for texts (feature extraction), mean- or CLS-pooled', load: async () => (await import('./embed.js')).embedCommand },
  { name: ['summarize'], summary: 'Summarize a text with an encoder-decoder model', load: async () => (await import('./text2text.js')).summarizeCommand },
  { name: ['translate'], summary: 'Translate a text (encoder-decoder, or a language model with <to-xx> task prompts)', load: async () => (await import('./text2text.js')).translateCommand },
  { name: ['classify-image'], summary: 'Label PNG/JPEG images with an image classification model', load: async () => (await import('./classify-image.js')).classifyImageCommand },
  { name: ['tokenize'], summary: 'Show the tokens, ids and offsets a tokenizer gives a text', load: async () => (await import('./tokenize.js')).tokenizeCommand },
  { name: ['tokenizer', 'train'], summary: 'Train a BPE or WordPiece tokenizer on text files (.txt or .txt.gz)', load: async () => (await import('./tokenizer-train.js')).tokenizerTrainCommand },
  { name: ['pretrain'], summary: 'Pretrain a model on text files (mlm+nsp, mlm, denoise, causal), with checkpoints and resume', load: async () => (await import('./pretrain.js')).pretrainCommand },
  { name: ['train-lm'], summary: 'Train a tokenizer and a small causal language model on plain text', load: async () => (await import('./train-lm.js')).trainLmCommand },
  { name: ['finetune'], summary: 'Fine-tune a model for a task (full, LoRA, prefix; freeze, LLRD, re-init, SWA)', load: async () => (await import('./finetune.js')).finetuneCommand },
  { name: ['quantize'], summary: 'Store a checkpoint\'s weights as int8 with per-channel scales (or float16), loaded back as float32', load: async () => (await import('./quantize.js')).quantizeCommand },
  { name: ['export', 'onnx'], summary: 'Export a model to ONNX (transformers.js / ONNX Runtime folder layout)', load: async () => (await import('./export-onnx.js')).exportOnnxCommand },
  { name: ['eval'], summary: 'Evaluate a model (or adapter) on labelled data with the task\'s metrics', load: async () => (await import('./eval.js')).evalCommand },
];
