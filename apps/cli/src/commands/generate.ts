/**
 * `tfkit generate`: continues a prompt with a causal language model, streaming tokens to the
 * terminal as they are produced. Without `--model` it uses the task's embedded model (a small model
 * trained by tfkit on public-domain novels, shipped with @tfkit/all), so it works offline.
 */
import { parseArgs } from 'node:util';
import type { GenerateOptions, GenerationModel } from '@tfkit/generation';
import type { Tokenizer } from '@tfkit/tokenizers';
import { CliError, UsageError, type Command } from '../command.js';
import { intOption, numberOption } from '../inputs.js';
import { MODEL_OPTIONS, openPipeline } from './common.js';

const usage = `Usage: tfkit generate [options] <prompt>

Continues <prompt> with a causal language model. Tokens are printed as they are produced.

Options:
  --model <source>            Checkpoint directory, URL or hub id with config.json, model.safetensors
                              and tokenizer.json (default: the embedded tiny model, trained by tfkit on
                              Jane Austen's novels)
  --max-new-tokens <n>        Tokens to generate at most (default 60; fewer when the model's
                              positions end sooner)
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
  --json                      Print the prompt, the continuations and why generation stopped as JSON
  --backend <name>            cpu, wasm, … (default: the fastest available here)
`;

export const generateCommand: Command = {
  name: ['generate'],
  summary: 'Continue a prompt with a language model (default: the embedded tiny model), streaming tokens',
  usage,
  stopsOnSignal: true,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...MODEL_OPTIONS,
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
      },
      strict: true,
    });
    const prompt = positionals.join(' ');
    if (!prompt) throw new UsageError('give a prompt, e.g. tfkit generate "It is a truth universally acknowledged"');
    const numBeams = intOption('num-beams', values['num-beams'], 1) ?? 1;
    const doSample = !values.greedy && numBeams === 1;
    const requested = intOption('max-new-tokens', values['max-new-tokens'], 0);
    const options: GenerateOptions = {
      maxNewTokens: requested ?? 60,
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

    const pipe = await openPipeline('text-generation', values, ctx);
    const registry = await ctx.registry();
    const { generate, maxPositionsOf, TextStreamer } = await import('@tfkit/generation');
    try {
      const model = pipe.model as GenerationModel;
      const tokenizer = pipe.tokenizer as Tokenizer;
      const ids = tokenizer.encode(prompt, { addSpecialTokens: false }).ids;
      // generate() refuses to run past the model's positions; the CLI shortens the continuation to fit, and says so.
      const limit = maxPositionsOf(model, registry);
      if (limit !== undefined && ids.length + (options.maxNewTokens as number) > limit) {
        if (ids.length >= limit) throw new CliError(`the prompt is ${ids.length} tokens; this model reads at most ${limit}`);
        if (requested !== undefined) ctx.io.stderr(`(this model reads at most ${limit} tokens: generating ${limit - ids.length} instead of ${requested})\n`);
        options.maxNewTokens = limit - ids.length;
      }
      const stream = !values.json && (values.stream ?? ctx.io.isTTY) && numBeams === 1 && (options.numReturnSequences ?? 1) === 1;
      if (!values.json) ctx.io.stdout(prompt);
      const streamer = stream ? new TextStreamer(tokenizer, { onText: (text) => ctx.io.stdout(text) }) : undefined;
      // Ctrl-C or a closed stdout stops generation after the current step.
      const out = await generate(model, [ids], { ...options, registry, tokenizer, signal: ctx.signal, ...(streamer ? { streamer } : {}) });
      // Nobody reads stdout any more: stop quietly. After Ctrl-C the text so far is printed, and main reports the interruption.
      if (ctx.signal.aborted && ctx.signal.reason === 'EPIPE') return 0;
      const texts = out.sequences.map((seq) => tokenizer.decode(seq.slice(out.prefixLength), { skipSpecialTokens: true }));
      if (values.json) {
        const continuations = texts.map((text, i) => ({ text, tokens: (out.sequences[i] as number[]).length - out.prefixLength, ...(out.sequencesScores ? { score: out.sequencesScores[i] } : {}) }));
        ctx.io.stdout(`${JSON.stringify({ prompt, promptTokens: ids.length, continuations, stopReason: out.stopReason }, null, 2)}\n`);
      } else if (stream) {
        ctx.io.stdout('\n');
      } else if (texts.length === 1) {
        ctx.io.stdout(`${texts[0]}\n`);
      } else {
        ctx.io.stdout('\n');
        texts.forEach((t, i) => ctx.io.stdout(`\n[${i + 1}${out.sequencesScores ? `, score ${(out.sequencesScores[i] as number).toFixed(3)}` : ''}] ${prompt}${t}\n`));
      }
      return 0;
    } finally {
      pipe.dispose();
    }
  },
};
