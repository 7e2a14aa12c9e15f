// Node.js module hooks that run the CLI from its TypeScript sources, the way the tests see it:
// `@tfkit/*` resolves to each package's src/ (the aliases Vitest uses), `./x.js` to `./x.ts`, and
// .ts files are transpiled with esbuild (tsup's). Tests that need a real process (Ctrl-C, a closed
// pipe) start `node --import <register this file> src/bin.ts`, so they never run a stale build.
import fs from 'node:fs';
import process from 'node:process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { workspaceAliases } from '@tfkit/vitest-config';

const require = createRequire(import.meta.url);
const esbuild = createRequire(require.resolve('tsup'))('esbuild');
const aliases = workspaceAliases();

export async function resolve(specifier, context, nextResolve) {
  const alias = aliases.find((a) => a.find.test(specifier));
  // TFKIT_TRACE_IMPORTS=1 lists the tfkit packages a run loads (a test checks `--help` loads none).
  if (alias && process.env.TFKIT_TRACE_IMPORTS) process.stderr.write(`import ${specifier}\n`);
  if (alias) return { url: pathToFileURL(alias.replacement).href, shortCircuit: true };
  if (/^\.{1,2}\//.test(specifier) && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (fs.existsSync(ts)) return { url: ts.href, shortCircuit: true };
  }
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    // Imports without their extension or of a directory, which bundlers accept and some packages'
    // ESM builds use (tfjs-core's `dist/register_all_gradients` and the files it imports): a file
    // first, then the directory's index, as bundlers resolve them.
    if (!['ERR_MODULE_NOT_FOUND', 'ERR_UNSUPPORTED_DIR_IMPORT'].includes(error?.code) || /\.[cm]?[jt]s$|^node:/.test(specifier)) throw error;
    try {
      return await nextResolve(`${specifier}.js`, context);
    } catch {
      if (error.code === 'ERR_UNSUPPORTED_DIR_IMPORT') return nextResolve(`${specifier}/index.js`, context);
      throw error;
    }
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const { code } = esbuild.transformSync(fs.readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm', target: `node${process.versions.node}`, sourcefile: file, sourcemap: 'inline' });
  return { format: 'module', source: code, shortCircuit: true };
}
