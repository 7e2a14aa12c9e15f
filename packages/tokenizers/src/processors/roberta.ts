/**
 * RoBERTa's post-processor, a module of its own: it trims offsets as the ByteLevel post-processor
 * does (the `trimOffsets` feature, trim-offsets.ts), and a RoBERTa tokenizer is byte-level, so its
 * lazy entry (lazy/roberta.ts) loads the byte-level module with it, while BERT's post-processors
 * (processors.ts) load neither.
 */
import type { ComponentBuilders } from '../components.js';
import type { EncodingData } from '../encoding.js';
import { need } from '../features.js';
import { At } from '../json-reader.js';
import { cloneEncoding, forEachWindow, type PostProcessor, type ProcessorJson, type TokenOf } from './post-process.js';
import { A, B, specialMap, specialPiece, TemplateProcessing, tokenWithId } from './processors.js';

/** RoBERTa/BART: `<s> A </s>` and `<s> A </s></s> B </s>`, all type ids 0; optional offset trimming. */
export class RobertaProcessing implements PostProcessor {
  private readonly template: TemplateProcessing;
  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
    readonly trimOffsets = true,
    readonly addPrefixSpace = true,
    at = new At('RobertaProcessing'),
  ) {
    if (trimOffsets) need('trimOffsets', `${at}: trim_offsets`);
    const [c, s] = [specialPiece(cls[0]), specialPiece(sep[0])];
    this.template = new TemplateProcessing([c, A, s], [c, A, s, s, B, s], specialMap([cls, sep]), at);
  }
  addedTokens(isPair: boolean): number {
    return isPair ? 4 : 2;
  }
  processEncodings(encodings: EncodingData[], addSpecialTokens: boolean, tokenOf: TokenOf): EncodingData[] {
    let encs = encodings;
    if (this.trimOffsets) {
      encs = encs.map((e) => {
        const c = cloneEncoding(e);
        need('trimOffsets', 'RobertaProcessing').trim(c, this.addPrefixSpace, tokenOf);
        return c;
      });
    }
    if (!addSpecialTokens) {
      if (encs === encodings) encs = encs.map(cloneEncoding);
      for (const e of encs) forEachWindow(e, (w) => w.typeIds.fill(0));
      return encs;
    }
    return this.template.processEncodings(encs, true);
  }
  toJSON(): ProcessorJson {
    return { type: 'RobertaProcessing', sep: this.sep, cls: this.cls, trim_offsets: this.trimOffsets, add_prefix_space: this.addPrefixSpace };
  }
}

/** The `RobertaProcessing` post-processor's builder. */
export const ROBERTA_PROCESSOR: ComponentBuilders = {
  post_processor: {
    RobertaProcessing: (f) => new RobertaProcessing(tokenWithId(f, 'sep'), tokenWithId(f, 'cls'), f.bool('trim_offsets', true), f.bool('add_prefix_space', true), f.at),
  },
};
