/**
 * What the two Chromium benches of this package (browser.bench.ts, gpu.bench.ts) share on the Node
 * side: their page bundle, the files the page fetches (tfjs-backend-wasm's and onnxruntime-web's
 * binaries, the models' ONNX exports) and the statistics they print.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { workspaceSourcesPlugin } from '@tfkit/vitest-config';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const TFJS_WASM_DIR = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', { paths: [path.resolve(import.meta.dirname, '../../backends')] }));
const ORT_DIR = path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));

/** `page` (a file under bench/browser/) bundled for the browser, @tfkit/* from sources, ORT Web loading its binaries from /ort/. */
export async function bundlePage(page: string): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [path.resolve(import.meta.dirname, 'browser', page)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    // onnxruntime-web's build that loads its .mjs glue and .wasm from env.wasm.wasmPaths (/ort/).
    conditions: ['onnxruntime-web-use-extern-wasm'],
    logLevel: 'warning',
    plugins: [workspaceSourcesPlugin()],
  });
  return result.outputFiles[0]!.text;
}

/** The files a bench page fetches: /tfjs/* and /ort/* binaries, /model/<name>.onnx from `exportDir`/<name>/onnx/model.onnx. */
export function pageFiles(exportDir: string): (url: string) => string | undefined {
  return (url) =>
    url.startsWith('/tfjs/') ? path.join(TFJS_WASM_DIR, path.basename(url))
    : url.startsWith('/ort/') ? path.join(ORT_DIR, path.basename(url))
    : url.startsWith('/model/') ? path.join(exportDir, path.basename(url, '.onnx'), 'onnx/model.onnx')
    : undefined;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

/** `median (min–max)` of `xs` with `digits` decimals; `–` when empty. */
export function summary(xs: number[], digits: number): string {
  if (xs.length === 0) return '–';
  return `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}
