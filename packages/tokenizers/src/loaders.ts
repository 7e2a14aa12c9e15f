/**
 * Loading tokenizers from a directory, URL or hub id: tokenizer.json (+ tokenizer_config.json), or
 * the older plain formats (vocab-files.ts converts them). `Tokenizer.fromPretrained` imports this
 * module on first use: it brings the file sources, which a page using `fromJSON` does not need.
 */
import { importNodeBuiltin, openSource, writeFileAtomic, type FileSource, type Registry, type SourceOptions } from '@tfkit/core-tensor/lite';
import { tokenizerConfigFromJSON, type TokenizerConfigJson } from './config.js';
import { TokenizerError } from './errors.js';
import { At } from './json-reader.js';
import { loadComponents } from './lazy-components.js';
import { parseMergesTxt } from './models/bpe.js';
import { parseVocabTxt } from './models/wordpiece.js';
import { serialization } from './serialization.js';
import { use } from './features.js';
import { Tokenizer, type Trainer } from './tokenizer.js';
import { byteLevelBpeFromVocab, wordPieceFromVocab } from './vocab-files.js';

export interface FromPretrainedOptions extends SourceOptions {
  /** Which files to read: `auto` prefers tokenizer.json, `vocab` forces the plain vocab files. */
  format?: 'auto' | 'tokenizer.json' | 'vocab';
  /** Model types registered here take precedence over the built-in ones. */
  registry?: Registry;
}

/** How errors name one of the source's files (a hub cache names the cached copy). */
function fileLabel(files: FileSource, name: string): string {
  return (files as { describeFile?: (name: string) => string }).describeFile?.(name) ?? `${files.description}/${name}`;
}

export async function loadTokenizer(source: string | FileSource, options: FromPretrainedOptions = {}): Promise<Tokenizer> {
  const files = await openSource(source, options);
  const format = options.format ?? 'auto';
  const configFile = fileLabel(files, 'tokenizer_config.json');
  const config = (await files.exists('tokenizer_config.json')) ? tokenizerConfigFromJSON(await files.readJson('tokenizer_config.json'), new At(configFile)) : {};
  await mergeSpecialTokensMap(files, config);
  if (format !== 'vocab' && (await files.exists('tokenizer.json'))) {
    const json = await files.readJson('tokenizer.json');
    // The component types the file names (all loaded already when imported from `@tfkit/tokenizers`).
    await loadComponents(json);
    return Tokenizer.fromJSON(json, config, { registry: options.registry, file: fileLabel(files, 'tokenizer.json'), configFile });
  }
  if (format === 'tokenizer.json') throw new TokenizerError(`${files.description}: no tokenizer.json.`);
  if ((await files.exists('vocab.json')) && (await files.exists('merges.txt'))) {
    const vocab = await files.readJson<Record<string, number>>('vocab.json');
    const mergesFile = fileLabel(files, 'merges.txt');
    const merges = parseMergesTxt(await files.readText('merges.txt'), mergesFile);
    return byteLevelBpeFromVocab(vocab, merges, config, { vocab: fileLabel(files, 'vocab.json'), merges: mergesFile, config: configFile });
  }
  if (await files.exists('vocab.txt')) {
    return wordPieceFromVocab(parseVocabTxt(await files.readText('vocab.txt')), config, { vocab: fileLabel(files, 'vocab.txt'), config: configFile });
  }
  throw new TokenizerError(
    `${files.description}: found no tokenizer files. Expected tokenizer.json, or vocab.json + merges.txt (byte-level BPE), or vocab.txt (WordPiece).`,
  );
}

/** Older repositories keep the special-token roles in special_tokens_map.json. */
async function mergeSpecialTokensMap(files: FileSource, config: TokenizerConfigJson): Promise<void> {
  if (!(await files.exists('special_tokens_map.json'))) return;
  const map = tokenizerConfigFromJSON(await files.readJson('special_tokens_map.json'), new At(fileLabel(files, 'special_tokens_map.json')));
  for (const [k, v] of Object.entries(map)) if (config[k] === undefined) config[k] = v;
}

/** `Tokenizer.savePretrained`: tokenizer.json and tokenizer_config.json into `dir` (created if missing). */
export async function saveTokenizer(tokenizer: Tokenizer, dir: string): Promise<void> {
  const { mkdir } = await importNodeBuiltin('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const base = dir.replace(/[\\/]+$/, '');
  // Saving writes what the serialization feature makes: its code is loaded here anyway, so `savePretrained` adds it.
  use(serialization);
  await writeFileAtomic(`${base}/tokenizer.json`, JSON.stringify(tokenizer.toJSON(), null, 2));
  await writeFileAtomic(`${base}/tokenizer_config.json`, JSON.stringify(tokenizer.toConfigJSON(), null, 2));
}

/**
 * Loads the `train` entry beside this file for `Tokenizer.train` (here, not in the tokenizer core,
 * so a page that only encodes does not load it); `loaded` reads the trainer that entry registers.
 * The specifier is a variable on purpose: a bundler inlines every literal `import()` when it does
 * not split chunks, and the trainer would then weigh on every page that only encodes. (CommonJS
 * callers run this ES module too: `train.cjs` only `require()`s `train.js`.)
 */
export async function loadTrainer(loaded: () => Trainer | undefined): Promise<void> {
  const file = './train.js';
  let cause: unknown;
  try {
    await import(/* @vite-ignore */ /* webpackIgnore: true */ file);
  } catch (error) {
    cause = error;
  }
  if (loaded()) return;
  throw new TokenizerError(
    "Tokenizer.train: the trainer could not be loaded (a browser bundle holds it only when imported); add `import { trainTokenizer } from '@tfkit/tokenizers/train'` and call trainTokenizer(options, corpus) instead.",
    { cause },
  );
}
