import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeModel } from '@tfkit/onnx';
import { afterAll, describe, expect, it } from 'vitest';
import { runTfkit } from '../testing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-cli-onnx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const fixtures = process.env['TFKIT_FIXTURES'] ?? path.resolve(import.meta.dirname, '../../../../../shared/fixtures');
const bert = path.join(fixtures, 'models', 'bert-question-answering');

const tfkit = (...argv: string[]) => runTfkit(['export', 'onnx', ...argv], tmp);

describe('tfkit export onnx', () => {
  it('writes config.json and onnx/model.onnx with the head the checkpoint has', async () => {
    const r = await tfkit(bert, 'qa-onnx', '--opset', '17', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Exported BertForQuestionAnswering \(opset 17\)/);
    const dir = path.join(tmp, 'qa-onnx');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toMatchObject({ architectures: ['BertForQuestionAnswering'] });
    const proto = decodeModel(fs.readFileSync(path.join(dir, 'onnx/model.onnx')));
    expect(proto.graph?.output?.map((o) => o.name)).toEqual(['start_logits', 'end_logits']);
  });

  it('--task picks the class; --fix fixes an axis; --json lists the files', async () => {
    const r = await tfkit(bert, 'fe-onnx', '--task', 'feature-extraction', '--fix', 'batch_size=1', '--json', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { architecture: string; opset: number; files: string[] };
    expect(out).toMatchObject({ architecture: 'BertModel', opset: 14, files: ['config.json', 'onnx/model.onnx'] });
    const proto = decodeModel(fs.readFileSync(path.join(tmp, 'fe-onnx', 'onnx/model.onnx')));
    const dims = proto.graph?.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
    expect(dims.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)))).toEqual([1, 'sequence_length']);
  });

  it('tfkit export alone, or with another format, names the subcommand', async () => {
    for (const argv of [['export'], ['export', 'tflite']]) {
      const r = await runTfkit(argv, tmp);
      expect([r.code, r.stderr.trim().split('\n')]).toEqual([2, [expect.stringMatching(/"export" needs a subcommand: tfkit export onnx/)]]);
    }
  });

  it('bad usage is exit code 2, an unsupported opset or task one line with exit code 1', async () => {
    expect((await tfkit(bert)).code).toBe(2);
    const fix = await tfkit(bert, 'x', '--fix', 'batch_size');
    expect([fix.code, fix.stderr.trim().split('\n')]).toEqual([2, [expect.stringMatching(/--fix batch_size: expected <axis>=<size>/)]]);
    const opset = await tfkit(bert, 'x', '--opset', '9', '--backend', 'cpu');
    expect(opset.code).toBe(1);
    expect(opset.stderr.trim().split('\n')).toEqual([expect.stringMatching(/opset 9 is not supported; pick an integer from 14 to 21/)]);
    const task = await tfkit(bert, 'x', '--task', 'image-classification', '--backend', 'cpu');
    expect(task.code).toBe(1);
    expect(task.stderr).toMatch(/--task image-classification: bert models have no class for it; tasks: .*fill-mask/);
  });
});
