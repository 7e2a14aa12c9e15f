import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModel, createRegistry, safetensorsToTensors } from '@tfkit/core-tensor';
import { registerBert } from '@tfkit/models-bert';
import { fixturePath, readFixtureJson, withBackend } from '@tfkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from './export.js';
import { expectExportParity, expectRuntimesMatch, loadRuntimes, type Forward } from './test/onnx-parity.js';
import type { Feeds } from './test/ort.js';
import { lcg, reportDiffs } from './test/parity.js';

type Ids = number[][];

/** Each exported class: the fixture it loads from, its ONNX outputs, and the reference tensor for each. */
const CASES: { architecture: string; fixture: string; outputs: Record<string, string> }[] = [
  { architecture: 'BertModel', fixture: 'bert-for-pretraining', outputs: { last_hidden_state: 'last_hidden_state', pooler_output: 'pooler_output' } },
  { architecture: 'BertForPreTraining', fixture: 'bert-for-pretraining', outputs: { prediction_logits: 'prediction_logits', seq_relationship_logits: 'seq_relationship_logits' } },
  { architecture: 'BertForMaskedLM', fixture: 'bert-for-pretraining', outputs: { logits: 'prediction_logits' } },
  { architecture: 'BertForNextSentencePrediction', fixture: 'bert-for-pretraining', outputs: { logits: 'seq_relationship_logits' } },
  { architecture: 'BertForSequenceClassification', fixture: 'bert-sequence-classification', outputs: { logits: 'logits' } },
  { architecture: 'BertForTokenClassification', fixture: 'bert-token-classification', outputs: { logits: 'logits' } },
  { architecture: 'BertForQuestionAnswering', fixture: 'bert-question-answering', outputs: { start_logits: 'start_logits', end_logits: 'end_logits' } },
];

/** A second batch of another size and length: mixed padding, both token types. */
function otherBatch(vocab: number): { input_ids: Ids; attention_mask: Ids; token_type_ids: Ids } {
  const rand = lcg(7);
  const lengths = [6, 3, 5];
  const T = 6;
  const input_ids = lengths.map((n) => Array.from({ length: T }, (_, j) => (j < n ? 5 + Math.floor(rand() * (vocab - 5)) : 0)));
  const attention_mask = lengths.map((n) => Array.from({ length: T }, (_, j) => (j < n ? 1 : 0)));
  const token_type_ids = lengths.map((n) => Array.from({ length: T }, (_, j) => (j >= Math.ceil(n / 2) && j < n ? 1 : 0)));
  return { input_ids, attention_mask, token_type_ids };
}

function feeds(batch: Record<string, Ids>): Feeds {
  return Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, { data: v, dtype: 'int64' as const }]));
}

const runtimes = await loadRuntimes();
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-onnx-bert-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  reportDiffs('BERT ONNX parity');
});

/** The same ids for ONNX (`input_ids`, …) and tfkit (`inputIds`, …). */
function batchOf(name: string, batch: Record<'input_ids' | 'attention_mask' | 'token_type_ids', Ids | Ids[]>, hf = false) {
  return { name, feeds: feeds(batch as Record<string, Ids>), forward: { inputIds: batch.input_ids, attentionMask: batch.attention_mask, tokenTypeIds: batch.token_type_ids }, hf };
}

describe('BERT exported to ONNX', () => {
  it.each(CASES)('$architecture: ONNX Runtime web and node equal tfkit and Hugging Face within 1e-4 (opsets 14, 17, 20; two batch shapes)', async ({ architecture, fixture, outputs }) => {
    await withBackend('cpu', async () => {
      const registry = registerBert(createRegistry());
      const model = await AutoModel.fromPretrained<Forward>(fixturePath('models', fixture), { registry, architecture });
      const { forward } = readFixtureJson<{ forward: Record<string, Ids> }>('models', fixture, 'inputs.json');
      const { tensors: expected } = safetensorsToTensors(fs.readFileSync(fixturePath('models', fixture, 'expected.safetensors')), fixture);
      await expectExportParity({
        model, architecture, registry, tmp, runtimes, outputs, expected,
        opsets: [14, 17, 20],
        inputs: ['input_ids', 'attention_mask', 'token_type_ids'],
        batches: [batchOf('fixture', forward as Record<'input_ids' | 'attention_mask' | 'token_type_ids', Ids>, true), batchOf('other', otherBatch(1000))],
        exportOptions: { copyFrom: fixturePath('tokenizers', 'bert-base-uncased') },
        layout: (dir, proto, opset) => {
          expect(fs.existsSync(path.join(dir, 'tokenizer.json'))).toBe(true);
          expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'bert', architectures: [architecture] });
          expect(Number(proto.opsetImport[0]?.version)).toBe(opset);
          const ops = new Set(proto.graph?.node?.map((n) => n.opType));
          expect(ops.has('LayerNormalization')).toBe(opset >= 17);
          expect(ops.has('Gelu')).toBe(opset >= 20);
          expect(proto.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam)).toEqual(['batch_size', 'sequence_length']);
        },
      });
      tf.dispose([...expected.values()]);
      model.dispose();
    });
  }, 300_000);

  it('BertForMultipleChoice: [batch, choices, seq] inputs, logits [batch, choices] equal tfkit within 1e-4 (two shapes)', async () => {
    await withBackend('cpu', async () => {
      const registry = registerBert(createRegistry());
      // The pretraining checkpoint has no multiple-choice classifier: it is initialised, and compared with tfkit only.
      const model = await AutoModel.fromPretrained<Forward>(fixturePath('models', 'bert-for-pretraining'), { registry, architecture: 'BertForMultipleChoice', strict: false });
      for (const opset of [14, 17]) {
        const dir = path.join(tmp, `BertForMultipleChoice-${opset}`);
        await exportOnnx(model, dir, { registry, opset });
        for (const [b, c, t] of [[2, 3, 5], [1, 2, 7]] as const) {
          const flat = otherBatch(1000);
          const pick = (rows: Ids) => Array.from({ length: b }, (_, i) => Array.from({ length: c }, (_, j) => {
            const row = rows[(i * c + j) % rows.length] as number[];
            return Array.from({ length: t }, (_, k) => row[k % row.length] as number);
          }));
          const mask = pick(flat.attention_mask).map((choices) => choices.map((row) => row.map((_, k) => (k < t - ((k + b) % 2) ? 1 : 0))));
          const batch = { input_ids: pick(flat.input_ids), attention_mask: mask, token_type_ids: pick(flat.token_type_ids) };
          await expectRuntimesMatch({
            runtimes, file: path.join(dir, 'onnx/model.onnx'), model, batches: [batchOf(`[${b}, ${c}, ${t}]`, batch)],
            outputs: { logits: null }, label: 'BertForMultipleChoice', where: `opset ${opset}`,
          });
        }
      }
      model.dispose();
    });
  }, 300_000);
});
