/** Files under a URL prefix, read with fetch under the source's limits (see download.ts). */
import { fetchWithProgress } from '../download-progress.js';
import { CheckpointError, TfkitError } from '../errors.js';
import { discard, MemorySink, receiveBody, Transfer, type ByteSink } from './download.js';
import { BaseSource, checkName } from './source-base.js';
import type { SourceOptions } from './types.js';

export class UrlSource extends BaseSource {
  protected readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(base: string, options: SourceOptions, description = base) {
    super(description, options);
    this.base = base.replace(/\/+$/, '');
    const fetchImpl: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.fetch = options.onProgress ? fetchWithProgress(fetchImpl, options.onProgress) : fetchImpl;
    this.headers = options.headers ?? {};
  }

  protected url(name: string): string {
    return `${this.base}/${checkName(name, this.description).split('/').map(encodeURIComponent).join('/')}`;
  }

  /** The response to `method` on `name`, and the transfer that bounds it (the caller closes it). */
  private async request(name: string, method: 'GET' | 'HEAD'): Promise<{ response: Response; transfer: Transfer }> {
    const url = this.url(name);
    const transfer = new Transfer(url, this.limits);
    try {
      const response = await transfer.race(Promise.resolve().then(() => this.fetch(url, { method, headers: this.headers, signal: transfer.signal })));
      transfer.progress();
      return { response, transfer };
    } catch (error) {
      transfer.close();
      if (error instanceof TfkitError) throw error;
      throw new CheckpointError(`${this.description}: could not fetch "${name}" from ${url}: ${(error as Error).message}`, { cause: error });
    }
  }

  private statusError(name: string, response: Response): CheckpointError {
    const hint = response.status === 401 || response.status === 403 ? ' (a private or gated repository? pass headers: { Authorization: "Bearer <token>" })' : '';
    return new CheckpointError(`${this.description}: HTTP ${response.status} ${response.statusText} for "${name}" (${this.url(name)})${hint}`);
  }

  async exists(name: string): Promise<boolean> {
    let { response, transfer } = await this.request(name, 'HEAD');
    if (response.status === 405 || response.status === 501) {
      // No HEAD support: ask with GET and drop the body.
      discard(response);
      transfer.close();
      ({ response, transfer } = await this.request(name, 'GET'));
    }
    discard(response);
    transfer.close();
    if (response.ok) return true;
    if (response.status === 404) return false;
    throw this.statusError(name, response);
  }

  /** Streams `name` into `sink` under the limits; returns the byte count. */
  protected async download(name: string, maxBytes: number, limit: string, sink: ByteSink): Promise<number> {
    const { response, transfer } = await this.request(name, 'GET');
    try {
      if (!response.ok) {
        discard(response);
        throw response.status === 404 ? this.missing(name, ` at ${this.url(name)}`) : this.statusError(name, response);
      }
      return await receiveBody(transfer, response, maxBytes, sink, limit);
    } finally {
      transfer.close();
    }
  }

  protected async readBytes(name: string, maxBytes: number, limit: string): Promise<Uint8Array> {
    const sink = new MemorySink();
    await this.download(name, maxBytes, limit, sink);
    return sink.bytes();
  }
}
