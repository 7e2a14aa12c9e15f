import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { safetensorsToTensors } from '@tfkit/core-tensor';
import { BertForSequenceClassification } from '@tfkit/models-bert';
import { Tokenizer } from '@tfkit/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-ft-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tfkit = (...argv: string[]) => runTfkit(argv, tmp);

// A sentiment-like toy set: the label is whether the sentence says "good" or "bad".
const words = ['the', 'film', 'was', 'very', 'plot', 'acting', 'quite', 'really', 'story', 'music'];
function rows(n: number, seed: number): string {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const label = rand() < 0.5 ? 'neg' : 'pos';
    const ws = Array.from({ length: 5 }, () => words[Math.floor(rand() * words.length)] as string);
    ws.splice(Math.floor(rand() * 5), 0, label === 'pos' ? 'good' : 'bad');
    out.push(JSON.stringify({ text: ws.join(' '), label }));
  }
  return `${out.join('\n')}\n`;
}

describe('tfkit finetune → tfkit eval', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    const tokenizer = await Tokenizer.train({ model: 'wordpiece', vocabSize: 60 }, [...words, 'good', 'bad'].map((w) => `${w} ${w}`));
    const model = new BertForSequenceClassification({ vocabSize: tokenizer.vocabSize, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32 }, { seed: 1 });
    await model.savePretrained(path.join(tmp, 'base'));
    await tokenizer.savePretrained(path.join(tmp, 'base'));
    model.dispose();
    fs.writeFileSync(path.join(tmp, 'train.jsonl'), rows(96, 1));
    fs.writeFileSync(path.join(tmp, 'eval.jsonl'), rows(48, 2));
  });

  it('full fine-tuning with LLRD, re-init and SWA writes a checkpoint that tfkit eval scores', async () => {
    const ft = await tfkit('finetune', '--json', '--model', 'base', '--task', 'text-classification', '--data', 'train.jsonl', '--eval', 'eval.jsonl', '--out', 'full',
      '--epochs', '4', '--batch-size', '16', '--lr', '3e-3', '--llrd', '0.9', '--reinit', '1', '--swa', '--backend', 'cpu');
    expect(ft.code, ft.stderr).toBe(0);
    expect(ft.stderr).toMatch(/\[#+-*\]\s+\d+\/24\s+loss \d\.\d{4}\s+lr \S+\s+[\d.]+ ex\/s/);
    const summary = JSON.parse(ft.stdout) as Record<string, number>;
    expect(summary['steps']).toBe(24);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) expect(fs.existsSync(path.join(tmp, 'full', f)), f).toBe(true);
    const config = JSON.parse(fs.readFileSync(path.join(tmp, 'full', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ architectures: ['BertForSequenceClassification'], id2label: { 0: 'neg', 1: 'pos' } });
    const ev = await tfkit('eval', '--json', '--model', 'full', '--data', 'eval.jsonl', '--backend', 'cpu');
    expect(ev.code, ev.stderr).toBe(0);
    const metrics = JSON.parse(ev.stdout) as Record<string, number>;
    expect(metrics['examples']).toBe(48);
    // The saved checkpoint reproduces the Trainer's final evaluation (plumbing; learning itself is tested in @tfkit/finetune).
    expect(metrics['eval_accuracy']).toBeCloseTo(summary['eval_accuracy'] as number, 6);
    expect(metrics['eval_loss']).toBeCloseTo(summary['eval_loss'] as number, 4);
  });

  it('--lora writes a PEFT adapter and a merged model', async () => {
    const ft = await tfkit('finetune', '--json', '--model', 'base', '--data', 'train.jsonl', '--eval', 'eval.jsonl', '--out', 'lora', '--epochs', '2',
      '--lora', 'r=4,alpha=8,targets=query+value', '--lr', '1e-2', '--backend', 'cpu');
    expect(ft.code, ft.stderr).toBe(0);
    const adapter = JSON.parse(fs.readFileSync(path.join(tmp, 'lora', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(adapter).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['query', 'value'], modules_to_save: ['classifier'], task_type: 'SEQ_CLS' });
    const viaAdapter = await tfkit('eval', '--json', '--model', 'base', '--adapter', 'lora', '--data', 'eval.jsonl', '--backend', 'cpu');
    const merged = await tfkit('eval', '--json', '--model', 'lora/merged', '--data', 'eval.jsonl', '--backend', 'cpu');
    expect(viaAdapter.code, viaAdapter.stderr).toBe(0);
    expect(merged.code, merged.stderr).toBe(0);
    const a = JSON.parse(viaAdapter.stdout) as Record<string, number>;
    const m = JSON.parse(merged.stdout) as Record<string, number>;
    expect(m['eval_loss']).toBeCloseTo(a['eval_loss'] as number, 4);
    // merged/ holds the adapted attention weights (base + (α/r)·A·B), not the base ones.
    const weight = (dir: string, name: string) => {
      const { tensors } = safetensorsToTensors(new Uint8Array(fs.readFileSync(path.join(tmp, dir, 'model.safetensors'))));
      const data = Array.from(tensors.get(name)?.dataSync() ?? []);
      tensors.forEach((t) => t.dispose());
      return data;
    };
    for (const name of ['bert.encoder.layer.0.attention.self.query.weight', 'bert.encoder.layer.1.attention.self.value.weight']) {
      const before = weight('base', name);
      const after = weight('lora/merged', name);
      expect(after).toHaveLength(before.length);
      expect(Math.max(...after.map((v, i) => Math.abs(v - (before[i] as number)))), name).toBeGreaterThan(1e-4);
    }
  });

  it('Ctrl-C stops at a step boundary with a resumable checkpoint (exit 130), and --resume finishes the run', async () => {
    const args = ['finetune', '--json', '--model', 'base', '--data', 'train.jsonl', '--out', 'stopped', '--epochs', '4', '--batch-size', '16', '--lr', '3e-3', '--backend', 'cpu'];
    const ctrlC = new AbortController();
    // Ctrl-C as soon as the progress line of step 10 (of 24) appears.
    const stopped = await runTfkit(args, tmp, { signal: ctrlC.signal, onStderr: (t) => void (/ 10\/24 /.test(t) && ctrlC.abort('SIGINT')) });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/stopped after step 10; checkpoint in .*checkpoints \(continue with --resume\)\ntfkit finetune: interrupted\n$/);
    expect(stopped.stdout).toBe('');
    expect(fs.readdirSync(path.join(tmp, 'stopped', 'checkpoints')).sort()).toEqual(['checkpoint-10', 'checkpoint-6']);
    expect(fs.existsSync(path.join(tmp, 'stopped', 'model.safetensors'))).toBe(false); // no final model from a stopped run
    const resumed = await tfkit(...args, '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((JSON.parse(resumed.stdout) as { steps: number }).steps).toBe(24);
    expect(fs.existsSync(path.join(tmp, 'stopped', 'model.safetensors'))).toBe(true);
  });

  it('reports bad usage with exit code 2', async () => {
    expect((await tfkit('finetune', '--json', '--model', 'base')).code).toBe(2);
    const threads = await tfkit('finetune', '--json', '--model', 'base', '--data', 'train.jsonl', '--out', 'x', '--threads', '0');
    expect(threads.code).toBe(2);
    expect(threads.stderr).toMatch(/^tfkit finetune: --threads must be a positive integer, got "0"/);
  });
});
