import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModel, ConfigError, createRegistry, RegistryError } from '@tfkit/core-tensor';
import { Tokenizer } from '@tfkit/tokenizers';
import { expectNoLeaks, fixturePath, writeBartWordTokenizer } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BartForConditionalGeneration, BartForSequenceClassification } from './bart-heads.js';
import { BartModel } from './bart-modeling.js';
import { loadText2TextPipeline, Text2TextGenerationPipeline } from '@tfkit/generation';
import { registerBart } from './bart-register.js';

const NAME = 'bart-conditional-generation';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-bart-pipeline-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * The fixture model with a word-level tokenizer over its 1000 ids (`<s>` 0, `<pad>` 1, `</s>` 2,
 * `<unk>` 3, then `w4` … `w999`) and BART's `<s> … </s>` post-processing.
 */
function checkpointWithTokenizer(dir: string, config: Record<string, unknown> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const file of ['model.safetensors', 'generation_config.json']) fs.copyFileSync(fixturePath('models', NAME, file), path.join(dir, file));
  const json = JSON.parse(fs.readFileSync(fixturePath('models', NAME, 'config.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...json, ...config }));
  writeBartWordTokenizer(dir, { modelMaxLength: 1024 });
  return dir;
}

const words = (ids: number[]) => ids.map((id) => `w${id}`).join(' ');

describe('registerBart', () => {
  it('registers model_type bart with its three architectures and the text-to-text tasks; duplicates need override', async () => {
    const registry = registerBart(createRegistry());
    const family = registry.model.get('bart');
    expect(Object.keys(family.architectures).sort()).toEqual(['BartForConditionalGeneration', 'BartForSequenceClassification', 'BartModel']);
    expect(family.defaultArchitecture).toBe('BartModel');
    for (const task of ['summarization', 'translation', 'text2text-generation'] as const) expect(registry.task.get(task).modelTypes).toEqual(['bart']);
    expect(() => registerBart(registry)).toThrow(RegistryError);
    expect(() => registerBart(registry, { override: true })).not.toThrow();

    const dir = fixturePath('models', NAME);
    const base = await AutoModel.fromPretrained<BartModel>(dir, { registry, architecture: 'BartModel' });
    expect(base).toBeInstanceOf(BartModel);
    expect(base.modelType).toBe('bart');
    base.dispose();
    const classifier = await AutoModel.fromPretrained(dir, { registry, architecture: 'BartForSequenceClassification' });
    expect(classifier).toBeInstanceOf(BartForSequenceClassification);
    classifier.dispose();
    await expect(AutoModel.fromPretrained(dir, { registry, architecture: 'BartForQuestionAnswering' })).rejects.toThrow(/Known: BartModel, BartForConditionalGeneration, BartForSequenceClassification/);
    await expect(AutoModel.fromPretrained(dir, { registry: createRegistry() })).rejects.toThrow(/model_type "bart" is not registered/);
  });
});

describe('summarization / translation / text2text-generation pipelines', () => {
  let pipe: Text2TextGenerationPipeline;
  beforeAll(async () => {
    pipe = await loadText2TextPipeline('summarization', checkpointWithTokenizer(path.join(tmp, 'plain')), { registry: registerBart(createRegistry()) });
  });
  afterAll(() => pipe.dispose());

  it('encodes with <s> … </s>, generates, and decodes without special tokens', async () => {
    expect(pipe.model).toBeInstanceOf(BartForConditionalGeneration);
    const prompt = [803, 48, 188, 805, 696, 521, 158];
    expect((pipe.tokenizer as Tokenizer).encode(words(prompt)).ids).toEqual([0, ...prompt, 2]);
    await expectNoLeaks(async () => {
      const [result] = await pipe.call(words(prompt), { maxNewTokens: 10 });
      // The fixture's greedy output for this prompt (generate_greedy, row 0), decoder start dropped.
      expect(result).toEqual({ summaryText: words([749, 749, 40, 403, 29, 29, 436, 436, 436, 440]) });
    }, 'pipeline');
  });

  it('a batch (right-padded) gives each text what it gets alone; numReturnSequences groups results per text', async () => {
    const texts = [words([803, 48, 188, 805, 696, 521, 158]), words([218, 692, 263, 958])];
    const batch = await pipe.call(texts, { maxNewTokens: 6 });
    for (const [i, text] of texts.entries()) expect(batch[i]).toEqual(await pipe.call(text, { maxNewTokens: 6 }));
    const beams = await pipe.call(texts, { maxNewTokens: 4, numBeams: 3, numReturnSequences: 2 });
    expect(beams.map((r) => r.length)).toEqual([2, 2]);
    expect(beams[0]![0]).not.toEqual(beams[0]![1]);
    expect(beams[1]).toEqual(await pipe.call(texts[1]!, { maxNewTokens: 4, numBeams: 3, numReturnSequences: 2 }));
  });

  it('inputs longer than the model takes are truncated (or, with truncation: false, a clear error)', async () => {
    const long = words(Array.from({ length: 80 }, (_, i) => 10 + i));
    expect(await pipe.call(long, { maxNewTokens: 3 })).toHaveLength(1);
    await expect(pipe.call(long, { maxNewTokens: 3, truncation: false })).rejects.toThrow(/the prompt is 82 tokens, but this model reads at most 64/); // generate() refuses it before the encoder runs
  });

  it('translation and text2text name their outputs; task_specific_params set a task\'s defaults', async () => {
    const registry = registerBart(createRegistry());
    const dir = checkpointWithTokenizer(path.join(tmp, 'task-params'), { task_specific_params: { summarization: { max_length: 4, num_beams: 2 } } });
    const summarize = await loadText2TextPipeline('summarization', dir, { registry });
    expect(summarize.taskDefaults).toEqual({ maxLength: 4, numBeams: 2 });
    const [summary] = await summarize.call(words([803, 48, 188]));
    expect(summary!.summaryText!.split(' ').length).toBeLessThanOrEqual(3);
    const translate = registry.task.get('translation').create({ model: summarize.model, tokenizer: summarize.tokenizer }) as Text2TextGenerationPipeline;
    expect(translate.taskDefaults).toEqual({});
    expect(Object.keys((await translate.call(words([5, 6]), { maxNewTokens: 2 }))[0]!)).toEqual(['translationText']);
    const generic = registry.task.get('text2text-generation').create({ model: summarize.model, tokenizer: summarize.tokenizer }) as Text2TextGenerationPipeline;
    expect(Object.keys((await generic.call(words([5, 6]), { maxNewTokens: 2 }))[0]!)).toEqual(['generatedText']);
    expect(() => registry.task.get('summarization').create({ model: summarize.model })).toThrow(ConfigError);
    expect(() => new Text2TextGenerationPipeline('poetry' as 'summarization', { model: summarize.model, tokenizer: summarize.tokenizer })).toThrow(/unknown task "poetry"/);
    expect(summarize.tokenizer).toBeInstanceOf(Tokenizer);
    summarize.dispose();
  });
});
