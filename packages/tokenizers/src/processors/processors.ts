/**
 * Post-processors (Hugging Face tokenizers' `processors`): add the model's special tokens around
 * the encoded sequences and set their type ids. Like Hugging Face, each works on the list of
 * sequence encodings (`[A]` or `[A, B]`), turning it into a list of pieces that `mergeEncodings`
 * concatenates, combining overflowing windows.
 */
import { TokenizerError } from '../errors.js';
import { EncodingData } from '../encoding.js';
import type { ComponentBuilders } from '../components.js';
import { asArray, asId, asInt, asString, At, fieldInt, Fields, fieldSteps, MAX_ID, quote } from '../json-reader.js';
import { type PostProcessor, type ProcessorJson, type TokenOf } from './post-process.js';

export { cloneEncoding, mergeEncodings, postProcess, type PostProcessor, type ProcessorJson, type TokenOf } from './post-process.js';

export type TemplatePiece = { kind: 'sequence'; id: 'A' | 'B'; typeId: number } | { kind: 'special'; id: string; typeId: number };
export interface TemplateSpecialToken {
  id: string;
  ids: number[];
  tokens: string[];
}

/** Parses `"[CLS] $A [SEP] $B:1 [SEP]:1"`-style templates. */
export function parseTemplate(template: string): TemplatePiece[] {
  return template
    .split(/\s+/)
    .filter(Boolean)
    .map((part): TemplatePiece => {
      const colon = part.lastIndexOf(':');
      const hasType = colon > 0 && /^\d+$/.test(part.slice(colon + 1));
      const name = hasType ? part.slice(0, colon) : part;
      const typeId = hasType ? Number(part.slice(colon + 1)) : 0;
      if (name === '$A' || name === '$') return { kind: 'sequence', id: 'A', typeId };
      if (name === '$B') return { kind: 'sequence', id: 'B', typeId };
      if (/^\$\d+$/.test(name)) return { kind: 'sequence', id: 'A', typeId: Number(name.slice(1)) };
      return { kind: 'special', id: name, typeId };
    });
}

export const A: TemplatePiece = { kind: 'sequence', id: 'A', typeId: 0 };
export const B: TemplatePiece = { kind: 'sequence', id: 'B', typeId: 0 };
export const specialPiece = (id: string, typeId = 0): TemplatePiece => ({ kind: 'special', id, typeId });

/** BERT's templates, `cls $A sep` and `cls $A sep $B:1 sep:1` (token names taken literally, spaces and all). */
export function bertTemplates(cls: string, sep: string): [TemplatePiece[], TemplatePiece[]] {
  return [
    [specialPiece(cls), A, specialPiece(sep)],
    [specialPiece(cls), A, specialPiece(sep), { ...B, typeId: 1 }, specialPiece(sep, 1)],
  ];
}

/** `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B:1 [SEP]:1`-style templates (BERT and most encoders). */
export class TemplateProcessing implements PostProcessor {
  /** `at` says where the templates came from, for error messages. */
  constructor(
    readonly single: readonly TemplatePiece[],
    readonly pair: readonly TemplatePiece[],
    readonly specialTokens: ReadonlyMap<string, TemplateSpecialToken>,
    at = new At('TemplateProcessing'),
  ) {
    checkTemplate(single, 'single', specialTokens, at);
    checkTemplate(pair, 'pair', specialTokens, at);
  }

  addedTokens(isPair: boolean): number {
    let n = 0;
    for (const p of isPair ? this.pair : this.single) if (p.kind === 'special') n += this.specialTokens.get(p.id)!.ids.length;
    return n;
  }

  processEncodings(encodings: EncodingData[], addSpecialTokens: boolean): EncodingData[] {
    const template = encodings.length === 2 ? this.pair : this.single;
    const out: EncodingData[] = [];
    for (const piece of template) {
      if (piece.kind === 'sequence') {
        const index = piece.id === 'A' ? 0 : 1;
        const source = encodings[index];
        if (!source) throw new TokenizerError(`TemplateProcessing: the template uses $${piece.id} but only ${encodings.length} sequence(s) were given.`);
        out.push(withIds(source, piece.typeId, index));
      } else if (addSpecialTokens) {
        const special = this.specialTokens.get(piece.id)!;
        const e = new EncodingData();
        for (const id of special.ids) {
          e.ids.push(id);
          e.typeIds.push(piece.typeId);
          e.offsets.push(0, 0);
          e.specialTokensMask.push(1);
          e.attentionMask.push(1);
          e.wordIds.push(-1);
          e.sequenceIds.push(-1);
        }
        out.push(e);
      }
    }
    return out;
  }

  toJSON(): ProcessorJson {
    const pieceJson = (p: TemplatePiece) => (p.kind === 'sequence' ? { Sequence: { id: p.id, type_id: p.typeId } } : { SpecialToken: { id: p.id, type_id: p.typeId } });
    const special: Record<string, TemplateSpecialToken> = {};
    for (const [k, v] of this.specialTokens) special[k] = { id: v.id, ids: v.ids, tokens: v.tokens };
    return { type: 'TemplateProcessing', single: this.single.map(pieceJson), pair: this.pair.map(pieceJson), special_tokens: special };
  }
}

/** BERT: `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, type ids 0 for A and 1 for B. */
export class BertProcessing extends TemplateProcessing {
  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
    at = new At('BertProcessing'),
  ) {
    super(...bertTemplates(cls[0], sep[0]), specialMap([cls, sep]), at);
  }
  override toJSON(): ProcessorJson {
    return { type: 'BertProcessing', sep: this.sep, cls: this.cls };
  }
}

export class ProcessorSequence implements PostProcessor {
  constructor(readonly processors: readonly PostProcessor[]) {}
  addedTokens(isPair: boolean): number {
    return this.processors.reduce((n, p) => n + p.addedTokens(isPair), 0);
  }
  processEncodings(encodings: EncodingData[], addSpecialTokens: boolean, tokenOf: TokenOf): EncodingData[] {
    return this.processors.reduce((encs, p) => p.processEncodings(encs, addSpecialTokens, tokenOf), encodings);
  }
  toJSON(): ProcessorJson {
    return { type: 'Sequence', processors: this.processors.map((p) => p.toJSON()) };
  }
}

export function specialMap(tokens: [string, number][]): Map<string, TemplateSpecialToken> {
  return new Map(tokens.map(([t, id]) => [t, { id: t, ids: [id], tokens: [t] }]));
}

/**
 * As Hugging Face requires: `single` uses only `$A`, `pair` uses both `$A` and `$B`, every special
 * token is defined with at least one id (as many ids as tokens), and type ids are ids.
 */
function checkTemplate(template: readonly TemplatePiece[], which: 'single' | 'pair', specialTokens: ReadonlyMap<string, TemplateSpecialToken>, at: At): void {
  const where = at.key(which);
  const uses = new Set<string>();
  template.forEach((piece, i) => {
    asInt(piece.typeId, where.index(i).key('type_id'), 0, MAX_ID);
    if (piece.kind === 'sequence') uses.add(piece.id);
    else {
      const special = specialTokens.get(piece.id);
      if (!special) throw where.error(`uses ${quote(piece.id)} but special_tokens does not define it.`);
      if (special.ids.length === 0 || special.ids.length !== special.tokens.length) {
        throw at.key('special_tokens').key(piece.id).error(`needs one or more ids and as many tokens, got ${special.ids.length} ids and ${special.tokens.length} tokens.`);
      }
    }
  });
  if (which === 'single' && uses.has('B')) throw where.error('uses $B, but a single sequence has only $A.');
  if (which === 'pair' && !(uses.has('A') && uses.has('B'))) throw where.error('must use both $A and $B.');
}

function templateFromJSON(value: unknown, at: At): TemplatePiece[] {
  if (typeof value === 'string') return parseTemplate(value);
  return asArray(value, at).map((piece, i): TemplatePiece => {
    const f = Fields.of(piece, at.index(i));
    if (f.has('Sequence')) {
      const seq = f.object('Sequence');
      return { kind: 'sequence', id: seq.oneOf('id', ['A', 'B']), typeId: fieldInt(seq, 'type_id', 0, 0, MAX_ID) };
    }
    if (f.has('SpecialToken')) {
      const special = f.object('SpecialToken');
      return { kind: 'special', id: special.string('id'), typeId: fieldInt(special, 'type_id', 0, 0, MAX_ID) };
    }
    throw f.at.expected('a template piece: {"Sequence": …} or {"SpecialToken": …}', piece);
  });
}

/** `[token, id]` (BertProcessing / RobertaProcessing `sep` and `cls`). */
export function tokenWithId(f: Fields, k: string): [string, number] {
  const at = f.where(k);
  const v = asArray(f.get(k), at);
  if (v.length !== 2) throw at.expected('[token, id]', v);
  return [asString(v[0], at.index(0)), asId(v[1], at.index(1))];
}

/** The builders of every post-processor type but ByteLevel (byte-level.ts) and RobertaProcessing (roberta.ts), by tokenizer.json `type`. */
export const PROCESSORS: ComponentBuilders = {
  post_processor: {
    BertProcessing: (f) => new BertProcessing(tokenWithId(f, 'sep'), tokenWithId(f, 'cls'), f.at),
    TemplateProcessing: (f) => {
      const special = new Map<string, TemplateSpecialToken>();
      const raw = f.has('special_tokens') ? f.object('special_tokens') : null;
      for (const k of Object.keys(raw?.json ?? {})) {
        const t = raw!.object(k);
        const ids = t.array('ids').map((id, i) => asId(id, t.where('ids').index(i)));
        const tokens = t.array('tokens').map((token, i) => asString(token, t.where('tokens').index(i)));
        special.set(k, { id: t.string('id', k), ids, tokens });
      }
      const single = templateFromJSON(f.get('single'), f.where('single'));
      const pair = f.has('pair') ? templateFromJSON(f.get('pair'), f.where('pair')) : single;
      return new TemplateProcessing(single, pair, special, f.at);
    },
    Sequence: (f, build) => new ProcessorSequence(fieldSteps(f, 'processors').map((step) => build(step) as PostProcessor)),
  },
};

/**
 * The same tokens with other type and sequence ids; token arrays are shared, not copied (callers
 * never mutate them in place), windows included.
 */
function withIds(e: EncodingData, typeId: number, sequenceId: number): EncodingData {
  const out = Object.assign(new EncodingData(), e);
  out.typeIds = new Array<number>(e.length).fill(typeId);
  out.sequenceIds = new Array<number>(e.length).fill(sequenceId);
  out.overflowing = e.overflowing.map((o) => withIds(o, typeId, sequenceId));
  return out;
}
