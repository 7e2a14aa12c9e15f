/**
 * Fetching tokenizer.json (+ tokenizer_config.json) with plain `fetch`: `fetchTokenizer` builds
 * with the component types and features loaded so far (`use(…)`), importing nothing, so a page
 * bundle holds exactly what it imports (one file for GPT-2); `loadTokenizerFromUrl`
 * (lazy-components.ts) imports the types the file names first.
 */
import { TokenizerError } from './errors.js';
import { describeValue } from './json-reader.js';
import { Tokenizer } from './tokenizer.js';

/** `fetch` of a JSON file: its value, `undefined` for a 404 when the file is optional. */
async function fetchJson(url: string, init: RequestInit | undefined, required: boolean): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    throw new TokenizerError(`${url}: the request failed (${cause instanceof Error ? cause.message : describeValue(cause)}).`, { cause });
  }
  if (response.status === 404 && !required) return undefined;
  if (!response.ok) throw new TokenizerError(`${url}: HTTP ${response.status} ${response.statusText}; expected the file there.`);
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TokenizerError(`${url}: not valid JSON (${cause instanceof Error ? cause.message : 'parse error'}).`, { cause });
  }
}

/**
 * tokenizer.json and, if there, tokenizer_config.json (parsed), fetched from `url`: a tokenizer.json
 * file, or a folder (prefix) holding it; `file`/`configFile` name them in errors.
 */
export async function fetchTokenizerFiles(url: string | URL, init?: RequestInit): Promise<{ json: unknown; config: unknown; file: string; configFile?: string }> {
  const href = String(url);
  const file = /\.json([?#].*)?$/.test(href) ? href : `${href.replace(/\/+$/, '')}/tokenizer.json`;
  const configFile = /(^|\/)tokenizer\.json([?#].*)?$/.test(file) ? file.replace(/tokenizer\.json([?#].*)?$/, 'tokenizer_config.json$1') : undefined;
  const [json, config] = await Promise.all([fetchJson(file, init, true), configFile === undefined ? undefined : fetchJson(configFile, init, false)]);
  return { json, config, file, configFile };
}

/**
 * Fetches a tokenizer as `loadTokenizerFromUrl` does (a tokenizer.json URL or a folder holding it
 * and, optionally, tokenizer_config.json) and builds it with `Tokenizer.fromJSON`: only with the
 * component types and features added with `use(…)` (a missing one fails with a TokenizerError
 * naming its import). Imports nothing itself.
 */
export async function fetchTokenizer(url: string | URL, init?: RequestInit): Promise<Tokenizer> {
  const { json, config, file, configFile } = await fetchTokenizerFiles(url, init);
  return Tokenizer.fromJSON(json, config, { file, configFile });
}
