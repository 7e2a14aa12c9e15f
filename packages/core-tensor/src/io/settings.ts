/**
 * Process-wide settings for checkpoint sources, the place transformers.js calls `env` and
 * huggingface_hub reads from environment variables: cache folder, hub host, access token, offline
 * mode, whether remote sources are allowed at all, and a default progress callback.
 *
 * Options passed to a call always win over these settings; settings left `undefined` fall back to
 * the environment (Node.js only) and then to the built-in defaults:
 *
 * | setting | environment | default |
 * | --- | --- | --- |
 * | `cacheDir` | `TFKIT_CACHE` | `~/.cache/tfkit` (Node), the Cache API "tfkit" (browsers) |
 * | `remoteHost` | `HF_ENDPOINT` | `https://huggingface.co` |
 * | `token` | `HF_TOKEN` | none |
 * | `localFilesOnly` | `HF_HUB_OFFLINE=1` | false |
 * | `allowRemote` | — | true |
 * | `onProgress` | — | none |
 */
import type { ProgressCallback } from '../download-progress.js';
import { ConfigError } from '../errors.js';
import { isNode } from './fs.js';
import type { SourceOptions } from './types.js';

export interface Settings {
  /** Where downloaded files are cached (Node: a folder; browsers use the Cache API). `false`: never cache. */
  cacheDir: string | false | undefined;
  /** Base URL of the Hugging Face–style hub that `org/name` ids are read from. */
  remoteHost: string | undefined;
  /** Access token for private and gated hub repositories, sent as `Authorization: Bearer …` to the hub host only. */
  token: string | undefined;
  /** Never touch the network: hub ids and URLs are read from the cache only. */
  localFilesOnly: boolean | undefined;
  /** `false`: URLs and hub ids are refused (a `ConfigError`); only local folders load. */
  allowRemote: boolean;
  /** Called as files are read: downloads (hub ids, URLs) and local folders. */
  onProgress: ProgressCallback | undefined;
}

const DEFAULTS: Settings = { cacheDir: undefined, remoteHost: undefined, token: undefined, localFilesOnly: undefined, allowRemote: true, onProgress: undefined };

/**
 * The settings object. Assign to its fields (`settings.cacheDir = '/data/models'`) or call
 * `configure({ … })`; `resetSettings()` restores the defaults.
 */
export const settings: Settings = { ...DEFAULTS };

/** Sets several settings at once; unknown names are a `ConfigError`. Returns the settings. */
export function configure(changes: Partial<Settings>): Settings {
  if (!changes || typeof changes !== 'object') throw new ConfigError(`configure(changes): changes must be an object of settings (${Object.keys(DEFAULTS).join(', ')})`);
  for (const key of Object.keys(changes)) {
    if (!Object.hasOwn(DEFAULTS, key)) throw new ConfigError(`configure: unknown setting "${key}"; known: ${Object.keys(DEFAULTS).join(', ')}`);
  }
  return Object.assign(settings, changes);
}

/** Restores every setting to its default. */
export function resetSettings(): void {
  Object.assign(settings, DEFAULTS);
}

function environment(name: string): string | undefined {
  if (!isNode) return undefined;
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** What a source of `kind` runs with: the call's options, then the settings, then the environment. */
export function withSettings(options: SourceOptions, kind: 'hub' | 'url' | 'local'): SourceOptions {
  if (kind !== 'local' && settings.allowRemote === false) {
    throw new ConfigError('settings.allowRemote is false: URLs and hub ids are refused. Load a local folder, or set settings.allowRemote = true');
  }
  const offline = environment('HF_HUB_OFFLINE');
  const cacheDir = options.cacheDir !== undefined ? options.cacheDir : (settings.cacheDir ?? environment('TFKIT_CACHE'));
  const resolved: SourceOptions = {
    ...options,
    remoteHost: options.remoteHost ?? settings.remoteHost ?? environment('HF_ENDPOINT'),
    localFilesOnly: options.localFilesOnly ?? settings.localFilesOnly ?? (offline !== undefined && offline !== '0' && offline.toLowerCase() !== 'false'),
    onProgress: options.onProgress ?? settings.onProgress,
  };
  if (cacheDir !== undefined) resolved.cacheDir = cacheDir;
  const token = options.token ?? settings.token ?? environment('HF_TOKEN');
  // The token goes to the hub only: a plain URL may be anyone's server.
  if (kind === 'hub' && token !== undefined && !Object.keys(options.headers ?? {}).some((h) => h.toLowerCase() === 'authorization')) {
    resolved.headers = { ...options.headers, Authorization: `Bearer ${token}` };
  }
  return resolved;
}
