/**
 * `tfkit generate`: continues a prompt with a causal language model, streaming tokens to the
 * terminal as they are produced. Without `--model` it uses the small GPT-2 that ships with the CLI
 * (trained by tfkit on public-domain novels), so it works offline on a fresh checkout.
 */
import { parseArgs } from 'node:util';
import { useBackend } from '@tfkit/backends';
import { AutoModel } from '@tfkit/core-tensor';
import type { GenerateOptions, GenerationModel } from '@tfkit/generation';
import { generate } from '@tfkit/generation';
import { Tokenizer } from '@tfkit/tokenizers';
import { CliError, UsageError, type Command } from '../command.js';
import { embeddedModelDir } from '../embedded-model.js';
import { intOption, numberOption, sourceOption } from '../inputs.js';

const usage = `Usage: tfkit generate [options] <prompt>

Continues <prompt> with a language model. Tokens are printed as they are produced.

Options:
  --model <source>            Checkpoint directory, URL or hub id with config.json, model.safetensors
                              and tokenizer.json (default: the embedded tiny GPT-2)
  --max-new-tokens <n>        Tokens to generate at most (default 60)
  --min-new-tokens <n>        Do not end before this many tokens
  --temperature <t>           Sampling temperature (default 0.8)
  --top-k <k>                 Sample among the k most likely tokens (default 40; 0 = all)
  --top-p <p>                 Nucleus sampling: smallest set with probability ≥ p (default 1)
  --repetition-penalty <r>    > 1 discourages repeating tokens (default 1.1)
  --no-repeat-ngram-size <n>  Never repeat an n-gram
  --num-beams <b>             Beam search with b beams (deterministic; disables sampling)
  --num-return-sequences <n>  Continuations to print (sampling or beam search)
  --greedy                    Always take the most likely token
  --seed <s>                  Seed for sampling (same seed, same text)
  --stop <text>               Stop when the continuation contains this text (repeatable)
  --stream                    Print tokens as they come (default when stdout is a terminal)
  --backend <name>            cpu, wasm, … (default: the fastest available)
`;

function isGenerationModel(model: unknown): model is GenerationModel {
  return typeof (model as GenerationModel | undefined)?.startDecoding === 'function';
}

export const generateCommand: Command = {
  name: ['generate'],
  summary: 'Continue a prompt with a language model (default: the embedded tiny GPT-2), streaming tokens',
  usage,
  stopsOnSignal: true,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        'max-new-tokens': { type: 'string' },
        'min-new-tokens': { type: 'string' },
        temperature: { type: 'string' },
        'top-k': { type: 'string' },
        'top-p': { type: 'string' },
        'repetition-penalty': { type: 'string' },
        'no-repeat-ngram-size': { type: 'string' },
        'num-beams': { type: 'string' },
        'num-return-sequences': { type: 'string' },
        greedy: { type: 'boolean', default: false },
        seed: { type: 'string' },
        stop: { type: 'string', multiple: true },
        stream: { type: 'boolean' },
        backend: { type: 'string' },
      },
      strict: true,
    });
    const prompt = positionals.join(' ');
    if (!prompt) throw new UsageError('give a prompt, e.g. tfkit generate "It is a truth universally acknowledged"');
    const numBeams = intOption('num-beams', values['num-beams'], 1) ?? 1;
    const doSample = !values.greedy && numBeams === 1;
    const options: GenerateOptions = {
      maxNewTokens: intOption('max-new-tokens', values['max-new-tokens'], 0) ?? 60,
      minNewTokens: intOption('min-new-tokens', values['min-new-tokens'], 0),
      doSample,
      temperature: numberOption('temperature', values.temperature, { above: 0 }) ?? 0.8,
      topK: intOption('top-k', values['top-k'], 0) ?? 40,
      topP: numberOption('top-p', values['top-p'], { above: 0, max: 1 }) ?? 1,
      repetitionPenalty: numberOption('repetition-penalty', values['repetition-penalty'], { above: 0 }) ?? 1.1,
      noRepeatNgramSize: intOption('no-repeat-ngram-size', values['no-repeat-ngram-size'], 0),
      numBeams,
      numReturnSequences: intOption('num-return-sequences', values['num-return-sequences'], 1),
      seed: intOption('seed', values.seed, Number.MIN_SAFE_INTEGER),
      stopStrings: values.stop,
    };

    const registry = await ctx.registry();
    await useBackend(registry, values.backend);
    // A local directory (relative to the working directory) wins over a hub id of the same name.
    const source = values.model === undefined ? embeddedModelDir() : sourceOption('--model', values.model, ctx.io.cwd);
    const tokenizer = await Tokenizer.fromPretrained(source);
    const model = await AutoModel.fromPretrained(source, { registry });
    try {
      if (!isGenerationModel(model)) throw new UsageError(`${source} holds a ${model.architecture}, which cannot generate text; use a causal language model`);
      const ids = tokenizer.encode(prompt, { addSpecialTokens: false }).ids;
      // A tokenizer larger than the model gives ids the embedding table does not have.
      const vocabSize = (model as { config?: { vocabSize?: number } }).config?.vocabSize;
      const outside = vocabSize === undefined ? undefined : ids.find((id) => id >= vocabSize);
      if (outside !== undefined) {
        throw new CliError(
          `the prompt encodes to token id ${outside} ("${tokenizer.idToToken(outside) ?? '?'}"), but the model has only ${vocabSize} embeddings (vocab_size) while its tokenizer has ${tokenizer.vocabSize} tokens: the tokenizer does not belong to this model`,
        );
      }
      // A model with learned positions cannot go past its table: shorten the continuation to fit.
      const limit = (model as { config?: { nPositions?: number } }).config?.nPositions;
      if (limit !== undefined && ids.length + (options.maxNewTokens as number) > limit) {
        if (ids.length >= limit) throw new UsageError(`the prompt is ${ids.length} tokens; this model reads at most ${limit}`);
        ctx.io.stderr(`(this model reads at most ${limit} tokens: generating ${limit - ids.length} instead of ${options.maxNewTokens})\n`);
        options.maxNewTokens = limit - ids.length;
      }
      const stream = (values.stream ?? ctx.io.isTTY) && numBeams === 1 && (options.numReturnSequences ?? 1) === 1;
      ctx.io.stdout(prompt);
      let generated: number[] = [];
      let printed = '';
      // Ctrl-C or a closed stdout stops generation after the current step.
      const out = await generate(model, [ids], {
        ...options,
        tokenizer,
        signal: ctx.signal,
        ...(stream
          ? {
              streamer: ({ tokens }) => {
                generated = [...generated, tokens[0] as number];
                const text = tokenizer.decode(generated, { skipSpecialTokens: true });
                // Wait while the text ends inside a multi-byte character (U+FFFD from a partial byte sequence).
                if (text.endsWith('\uFFFD') || !text.startsWith(printed)) return;
                ctx.io.stdout(text.slice(printed.length));
                printed = text;
              },
            }
          : {}),
      });
      // Nobody reads stdout any more: stop quietly. After Ctrl-C the text so far is printed, and main reports the interruption.
      if (ctx.signal.aborted && ctx.signal.reason === 'EPIPE') return 0;
      const texts = out.sequences.map((seq) => tokenizer.decode(seq.slice(out.prefixLength), { skipSpecialTokens: true }));
      if (stream) {
        const last = texts[0] ?? '';
        if (last.startsWith(printed)) ctx.io.stdout(last.slice(printed.length));
        ctx.io.stdout('\n');
      } else if (texts.length === 1) {
        ctx.io.stdout(`${texts[0]}\n`);
      } else {
        ctx.io.stdout('\n');
        texts.forEach((t, i) => ctx.io.stdout(`\n[${i + 1}${out.sequencesScores ? `, score ${(out.sequencesScores[i] as number).toFixed(3)}` : ''}] ${prompt}${t}\n`));
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};
