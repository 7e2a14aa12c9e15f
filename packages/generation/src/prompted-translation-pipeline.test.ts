import { ConfigError } from '@tfkit/core-tensor';
import { describe, expect, it } from 'vitest';
import { PromptedTranslationPipeline } from './prompted-translation-pipeline.js';
import { BigramModel, logits } from './test-model.js';

// ids: 0 a, 1 b, 2 c, 3 <to-fr>, 4 <to-de>, 5 <eos>. After <to-fr> the model says "b c", after <to-de> "a"; then eos.
const VOCAB = ['a', 'b', 'c', '<to-fr>', '<to-de>', '<eos>'];
const row = (next: number) => logits(VOCAB.map((_, i) => (i === next ? 0.9 : 0.02)));
const TABLE = [row(5), row(2), row(5), row(1), row(0), row(5)];

function tokenizer(taskTokens: string[]) {
  return {
    encode: (text: string) => ({ ids: text.split(/\s+/).filter(Boolean).map((w) => VOCAB.indexOf(w)) }),
    decode: (ids: number[], o: { skipSpecialTokens?: boolean } = {}) => ids.filter((id) => !(o.skipSpecialTokens && id >= 3)).map((id) => VOCAB[id]).join(' '),
    tokenToId: (t: string) => (taskTokens.includes(t) || !t.startsWith('<') ? VOCAB.indexOf(t) : undefined),
    addedTokens: [...taskTokens, '<eos>'].map((content) => ({ content })),
  };
}

const model = () => new BigramModel(TABLE, { eosTokenId: 5, padTokenId: 5 });

describe('PromptedTranslationPipeline', () => {
  it('appends the target-language token to the source and returns the continuation', async () => {
    const translate = new PromptedTranslationPipeline({ model: model(), tokenizer: tokenizer(['<to-fr>', '<to-de>']) });
    expect(translate.targetLanguages).toEqual(['de', 'fr']);
    expect(await translate.call('a b', { tgtLang: 'fr', maxNewTokens: 5 })).toEqual([{ translationText: 'b c' }]);
    expect(await translate.call(['a', 'c b'], { tgtLang: 'de', maxNewTokens: 5 })).toEqual([[{ translationText: 'a' }], [{ translationText: 'a' }]]);
  });

  it('a model with one target language needs no tgtLang; an unknown or missing language is a ConfigError naming the known ones', async () => {
    const one = new PromptedTranslationPipeline({ model: model(), tokenizer: tokenizer(['<to-fr>']) });
    expect(await one.call('a', { maxNewTokens: 5 })).toEqual([{ translationText: 'b c' }]);
    await expect(one.call('a', { tgtLang: 'de' })).rejects.toThrow(/no <to-de> token; this model translates into fr/);
    const two = new PromptedTranslationPipeline({ model: model(), tokenizer: tokenizer(['<to-fr>', '<to-de>']) });
    await expect(two.call('a')).rejects.toThrow(/give the target language \(tgtLang\); this model translates into de, fr/);
    const none = new PromptedTranslationPipeline({ model: model(), tokenizer: tokenizer([]) });
    await expect(none.call('a', { tgtLang: 'fr' })).rejects.toThrow(ConfigError);
    await expect(none.call('a')).rejects.toThrow(/no target-language task tokens/);
  });
});
