/**
 * `tfkit tokenize`: shows how a tokenizer splits a text — tokens, ids, offsets into the text — as
 * a table or as JSON.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Encoding } from '@tfkit/tokenizers';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { intOption, sourceOption } from '../inputs.js';

const usage = `Usage: tfkit tokenize [--tokenizer <source>] [--pair <text>] [--json] <text>

Encodes <text> (and an optional second text) and prints each token with its id and its
[start, end) offsets into the input (UTF-16 positions, as JavaScript string indices).

Options:
  --tokenizer <source>    Directory, URL or hub id with tokenizer.json, vocab.json + merges.txt,
                          or vocab.txt (default: the tokenizer of the embedded text-generation
                          model, a 4096-token byte-level BPE)
  --pair <text>           Second text (sentence pair, question/context)
  --no-special-tokens     Do not add [CLS]/[SEP]-style special tokens
  --max-length <n>        Truncate to n tokens (overflowing windows are printed too)
  --stride <n>            Tokens shared by consecutive overflowing windows (with --max-length)
  --json                  Print the encoding as JSON
`;

/** A token as printable text: control characters and spaces made visible. */
function show(token: string): string {
  return JSON.stringify(token).slice(1, -1);
}

function render(enc: Encoding, texts: string[]): string[] {
  const rows = enc.ids.map((id, i) => {
    const [s, e] = enc.offsets[i]!;
    const seq = enc.sequenceIds[i];
    const source = seq == null ? '' : show(texts[seq]!.slice(s, e));
    return [String(i), String(id), show(enc.tokens[i]!), seq == null ? '—' : `[${s}, ${e})`, source, seq == null ? '' : String(seq)];
  });
  const header = ['#', 'id', 'token', 'offsets', 'text', texts.length > 1 ? 'seq' : ''];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(header), ...rows.map((r) => line(texts.length > 1 ? r : r.slice(0, 5)))];
}

function toJson(enc: Encoding): Record<string, unknown> {
  return {
    ids: enc.ids,
    tokens: enc.tokens,
    offsets: enc.offsets,
    typeIds: enc.typeIds,
    attentionMask: enc.attentionMask,
    specialTokensMask: enc.specialTokensMask,
    wordIds: enc.wordIds,
    sequenceIds: enc.sequenceIds,
    ...(enc.overflowing ? { overflowing: enc.overflowing.map(toJson) } : {}),
  };
}

/** The embedded text-generation model's folder, where its tokenizer.json is. */
async function embeddedTokenizer(ctx: CommandContext): Promise<string> {
  const registry = await ctx.registry();
  const source = registry.task.get('text-generation').defaultModel;
  if (source === undefined) throw new UsageError('--tokenizer <source> is required: no embedded model ships with this tfkit');
  return source.startsWith('file:') ? fileURLToPath(source) : source;
}

export const tokenizeCommand: Command = {
  name: ['tokenize'],
  summary: 'Show the tokens, ids and offsets a tokenizer gives a text',
  usage,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tokenizer: { type: 'string' },
        pair: { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-special-tokens': { type: 'boolean', default: false },
        'max-length': { type: 'string' },
        stride: { type: 'string' },
      },
      strict: true,
    });
    if (positionals.length === 0) throw new UsageError('give the text to tokenize');
    const text = positionals.join(' ');
    const maxLength = intOption('max-length', values['max-length'], 1);
    const stride = intOption('stride', values.stride, 0) ?? 0;
    const source = values.tokenizer === undefined ? await embeddedTokenizer(ctx) : sourceOption('--tokenizer', values.tokenizer, ctx.io.cwd);
    const { Tokenizer } = await import('@tfkit/tokenizers');
    const tokenizer = await Tokenizer.fromPretrained(source);
    const enc = tokenizer.encode(text, {
      textPair: values.pair,
      addSpecialTokens: !values['no-special-tokens'],
      ...(maxLength === undefined ? {} : { truncation: true, maxLength, stride }),
    });
    if (values.json) {
      ctx.io.stdout(`${JSON.stringify(toJson(enc), null, 2)}\n`);
      return 0;
    }
    const texts = values.pair === undefined ? [text] : [text, values.pair];
    const out = render(enc, texts);
    (enc.overflowing ?? []).forEach((o, k) => out.push('', `overflowing window ${k + 1}:`, ...render(o, texts)));
    out.push('', `${enc.length} tokens; ids: [${enc.ids.join(', ')}]`);
    ctx.io.stdout(`${out.join('\n')}\n`);
    return 0;
  },
};
