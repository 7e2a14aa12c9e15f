import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module without declarations
import { mangleLocals } from '../tsup.mjs';

// The kind of chunk tsup writes: whitespace-minified ESM with long local and parameter names.
const CHUNK = [
  'var DEFAULT_SCALE=3;',
  'function scaleAll(inputValues,scaleFactor=DEFAULT_SCALE){let accumulatedTotal=0;const scaledValues=inputValues.map(singleValue=>{accumulatedTotal+=singleValue;return singleValue*scaleFactor});return{scaledValues,accumulatedTotal}}',
  'var Counter=class{#countSoFar=0;increment(incrementBy){const previousCount=this.#countSoFar;this.#countSoFar=previousCount+incrementBy;return this.#countSoFar}};',
  'function failInside(messageText){const throwingHelper=detailText=>{throw new Error(`failed: ${detailText}`)};return throwingHelper(messageText)}',
  'export{Counter,DEFAULT_SCALE,failInside,scaleAll};',
].join('');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-mangle-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function load(code: string, name: string) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, code);
  return import(pathToFileURL(file).href);
}

describe('mangleLocals', () => {
  it('renames locals and parameters only: same behaviour, same public and function names, fewer bytes', async () => {
    const out = await mangleLocals().renderChunk(CHUNK, { path: 'dist/chunk.js' });
    expect(out).toBeDefined();
    const code = out!.code;
    for (const local of ['inputValues', 'scaleFactor', 'singleValue', 'incrementBy', 'previousCount', 'messageText', 'detailText']) expect(code).not.toContain(local);
    for (const kept of ['DEFAULT_SCALE', 'scaleAll', 'Counter', 'failInside', 'throwingHelper', 'increment']) expect(code).toContain(kept);
    // A shorthand property keeps its key: `{ accumulatedTotal }` becomes `{ accumulatedTotal: t }`.
    expect(code).toMatch(/accumulatedTotal:[a-z]\b/);
    expect(code.match(/accumulatedTotal/g)).toHaveLength(1);
    expect(code.length).toBeLessThan(CHUNK.length * 0.8);

    const before = await load(CHUNK, 'before.mjs');
    const after = await load(code, 'after.mjs');
    expect(after.scaleAll([1, 2, 4])).toEqual(before.scaleAll([1, 2, 4]));
    expect(after.scaleAll([1, 2, 4], 0.5)).toEqual({ scaledValues: [0.5, 1, 2], accumulatedTotal: 7 });
    const counter = new after.Counter();
    counter.increment(2);
    expect(counter.increment(5)).toBe(7);
    expect([after.scaleAll.name, after.Counter.name, after.failInside.name]).toEqual(['scaleAll', 'Counter', 'failInside']);
    // A stack trace still names the local helper and the function around it.
    let stack = '';
    try {
      after.failInside('x');
    } catch (error) {
      stack = (error as Error).stack ?? '';
    }
    expect(stack).toContain('failed: x');
    expect(stack).toMatch(/at throwingHelper /);
    expect(stack).toMatch(/at (Module\.)?failInside /);
  });

  it('leaves files that are not JavaScript alone', async () => {
    await expect(mangleLocals().renderChunk('export declare function f(longName: number): void;', { path: 'dist/index.d.ts' })).resolves.toBeUndefined();
  });

  it('fails the build on a chunk it cannot parse, naming the file', async () => {
    await expect(mangleLocals().renderChunk('function (', { path: 'dist/broken.js' })).rejects.toThrow(/mangleLocals: terser failed on dist\/broken\.js/);
  });
});
