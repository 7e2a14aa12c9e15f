import { describe, expect, it } from 'vitest';
import { fetchWithProgress, type DownloadProgress } from './download-progress.js';

const body = (n: number) => new Response(new Uint8Array(n), { headers: { 'content-length': String(n) } });

describe('fetchWithProgress', () => {
  it('names hub files by their path in the repository and passes the bytes through unchanged', async () => {
    const events: DownloadProgress[] = [];
    const wrapped = fetchWithProgress(async () => body(10), (p) => events.push(p));
    const response = await wrapped('https://hub.test/org/name/resolve/v1.0/onnx/model%20a.onnx');
    expect((await response.arrayBuffer()).byteLength).toBe(10);
    expect(events.at(-1)).toEqual({ file: 'onnx/model a.onnx', url: 'https://hub.test/org/name/resolve/v1.0/onnx/model%20a.onnx', loaded: 10, total: 10, done: true });
  });

  it('reports nothing for HEAD requests; a throwing callback does not break the download', async () => {
    const events: DownloadProgress[] = [];
    const head = await fetchWithProgress(async () => body(4), (p) => events.push(p))('https://x.test/a/config.json', { method: 'HEAD' });
    await head.arrayBuffer();
    expect(events).toEqual([]);
    const failing = fetchWithProgress(async () => body(7), () => {
      throw new Error('display broke');
    });
    expect((await (await failing('https://x.test/a/model.safetensors')).arrayBuffer()).byteLength).toBe(7);
  });
});
