/**
 * Where checkpoint files come from: a local directory (Node), a URL prefix (fetch; Node or
 * browser), or a hub repository id (`org/name`) resolved against a Hugging Face–style host and
 * cached locally. The network is used only when the caller names a URL or a hub id: a path that
 * exists locally is always read locally.
 */
import { CheckpointError, UnsafePathError } from '../errors.js';
import { importNodeBuiltin, isNode } from './fs.js';
import { hubIdProblem, hubSource, urlSource } from './hub.js';
import { LocalSource } from './local.js';
import { withSettings } from './settings.js';
import type { FileSource, SourceOptions } from './types.js';

export { fileLabel } from './source-base.js';

/**
 * Opens a set of checkpoint files: an existing local directory (Node), an `http(s)://` URL prefix,
 * a `file://` URL, or a hub id `org/name` (also `name`) read from
 * `${remoteHost}/${id}/resolve/${revision}/…` and cached. A `FileSource` is returned as is.
 */
export async function openSource(source: string | FileSource, options: SourceOptions = {}): Promise<FileSource> {
  if (typeof source !== 'string') return source;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(source)) throw new UnsafePathError(`${JSON.stringify(source)}: a source name with control characters (NUL, newline) is neither a path nor a hub id`, source);
  if (/^https?:\/\//i.test(source)) return urlSource(source, withSettings(options, 'url'));
  if (/^file:\/\//i.test(source)) {
    const { fileURLToPath } = await importNodeBuiltin('node:url');
    const dir = fileURLToPath(source);
    const local = await LocalSource.open(dir, withSettings(options, 'local'));
    if (!local) throw new CheckpointError(`${source}: no such directory`);
    return local;
  }
  if (isNode) {
    const local = await LocalSource.open(source, withSettings(options, 'local'));
    if (local) return local;
  } else if (/^\.{0,2}\//.test(source)) {
    // In a page, a path is relative to the page's URL.
    return urlSource(new URL(source, globalThis.location?.href).href, withSettings(options, 'local'), source);
  }
  const problem = hubIdProblem(source);
  if (problem) {
    const message = `${JSON.stringify(source)}: not an existing directory, an http(s) URL, nor a hub id like "org/name" (as a hub id: ${problem})`;
    // eslint-disable-next-line no-control-regex
    if (/(^|[/\\])\.\.([/\\]|$)|^[/\\]|\\|[\u0000-\u001f]/.test(source)) throw new UnsafePathError(message, source);
    throw new CheckpointError(message);
  }
  return hubSource(source, withSettings(options, 'hub'));
}
