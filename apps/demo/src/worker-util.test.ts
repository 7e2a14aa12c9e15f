import { describe, expect, it } from 'vitest';
import { customFileFix, missingFileFix, modelFolderUrl, trainingExamples } from './worker-util.js';
import { formatBytes, formatEta, lossPolyline } from './text-spans.js';

/** One token per word: enough to check the grouping. */
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

describe('trainingExamples', () => {
  it('joins lines up to the block size and drops blank lines', () => {
    const text = 'a b c\n\n  d e  \nf g h i\nj\n';
    expect(trainingExamples(text, words, 5)).toEqual(['a b c\nd e', 'f g h i\nj']);
  });

  it('keeps a line longer than the block whole (the collator truncates it) and drops one-token examples', () => {
    expect(trainingExamples('one two three four five six\nx', words, 3)).toEqual(['one two three four five six']);
    expect(trainingExamples('', words, 8)).toEqual([]);
    expect(trainingExamples('solo', words, 8)).toEqual([]);
  });
});

describe('page helpers', () => {
  it('names the file and the build command that restores it', () => {
    expect(missingFileFix('model.safetensors')).toMatch(/pnpm --filter @tfkit\/demo build.*model\.safetensors/);
  });

  it('formats bytes and ETAs', () => {
    expect([formatBytes(512), formatBytes(2_673_060), formatBytes(4_500)]).toEqual(['512 B', '2.7 MB', '5 kB']);
    expect([formatEta(0), formatEta(75.4), formatEta(Infinity)]).toEqual(['0:00', '1:15', '–']);
  });

  it('draws the loss curve from the first step to the last, highest loss at the top', () => {
    expect(lossPolyline([3, 2, 1], 3, 100, 10)).toBe('0.0,0.0 50.0,5.0 100.0,10.0');
    expect(lossPolyline([2, 2], 4, 90, 10)).toBe('0.0,10.0 30.0,10.0');
    expect(lossPolyline([], 4, 90, 10)).toBe('');
  });
});

describe('modelFolderUrl', () => {
  const page = 'https://demo.example/site/';
  it('makes a folder URL of a URL, a relative folder or a hub id', () => {
    expect(modelFolderUrl('https://host.example/m/gpt2', page)).toBe('https://host.example/m/gpt2/');
    expect(modelFolderUrl(' https://host.example/m/?x=1#y ', page)).toBe('https://host.example/m/');
    expect(modelFolderUrl('models/tiny-gpt2/', page)).toBe('https://demo.example/site/models/tiny-gpt2/');
    expect(modelFolderUrl('./mine', page)).toBe('https://demo.example/site/mine/');
    expect(modelFolderUrl('openai-community/gpt2', page)).toBe('https://huggingface.co/openai-community/gpt2/resolve/main/');
  });
  it('refuses what is not an http(s) folder', () => {
    expect(modelFolderUrl('', page)).toBeUndefined();
    expect(modelFolderUrl('file:///etc/', page)).toBeUndefined();
    expect(modelFolderUrl('javascript:alert(1)', page)).toBeUndefined();
    expect(modelFolderUrl('http://[bad', page)).toBeUndefined();
  });
  it('the fix names the required files', () => {
    expect(customFileFix('https://h/m/')).toMatch(/^Check the address: https:\/\/h\/m\/ must be a folder \(ending in \/\) that holds config\.json, model\.safetensors, tokenizer\.json/);
  });
});
