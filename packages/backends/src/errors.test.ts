import { describe, expect, it } from 'vitest';
import { BackendError, missingPeer } from './errors.js';

describe('missingPeer', () => {
  it('turns a module-not-found error into a BackendError naming the package to install', async () => {
    // A real failure from Node's resolver, not a hand-made one.
    const error = await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-backend-not-a-package'].join('/')).catch((e: unknown) => e);
    let thrown: unknown;
    try {
      missingPeer('wasm', '@tensorflow/tfjs-backend-wasm', error);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(BackendError);
    expect((thrown as BackendError).backend).toBe('wasm');
    expect((thrown as Error).message).toContain('npm install @tensorflow/tfjs-backend-wasm');
    expect((thrown as Error).cause).toBe(error);
  });

  it('words from browsers and bundlers count as not found', () => {
    for (const message of ['Failed to resolve module specifier "@tensorflow/tfjs-backend-webgl"', 'Failed to fetch dynamically imported module: x']) {
      expect(() => missingPeer('webgl', '@tensorflow/tfjs-backend-webgl', new TypeError(message))).toThrow(BackendError);
    }
  });

  it('rethrows anything else unchanged', () => {
    const broken = new SyntaxError('Unexpected token');
    expect(() => missingPeer('cpu', '@tensorflow/tfjs-backend-cpu', broken)).toThrow(broken);
  });
});
