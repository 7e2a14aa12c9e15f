// The tsup build every tfkit library shares: ES2022 ESM with its declarations (.d.ts), which resolve
// other @tfkit packages through their built d.ts (not the source `paths` that typecheck uses). No
// source maps: they would double what users install.
// `splitting` lets the entries share chunks (and keeps lazily imported code such as the tokenizer
// trainer in chunks of its own). A package passes what differs: its entries, bundling or `node:`
// handling.
//
// CommonJS: each entry also gets `<entry>.cjs`, one line that `require()`s the ESM file, and
// `<entry>.d.cts`, one line that re-exports its declarations. Node runs ES modules under
// `require()` from 20.19 and 22.12 (no flag, no warning), so `require('@tfkit/…')` and `import`
// load the same module instance (one registry, one `instanceof` for errors) and the package ships
// its code once: a second, CommonJS build of every package was 0.55 MiB of the 1.8 MiB a GPT-2
// install added (issue #15's 60 MiB budget), and its declarations another 0.27 MiB. TypeScript
// reads the CommonJS declarations under `module: nodenext` (TS ≥ 5.8), `commonjs`/`node10` and
// `bundler`; under `module: node16` it flags the re-export (TS1479) unless `skipLibCheck` is on.
import fs from 'node:fs';
import path from 'node:path';
import { minify } from 'terser';

/**
 * Writes the CommonJS entry files of `entry` into `outDir`. tsup builds declarations beside the
 * JavaScript, in a worker that first deletes every `*.d.cts` of `outDir`: the `.d.cts` files are
 * written once that build has written its `.d.ts` files (newer than `since`).
 * @param {Record<string, string>} entry @param {string} outDir @param {boolean} dts @param {number} since
 */
async function writeCommonJsEntries(entry, outDir, dts, since) {
  const names = Object.keys(entry);
  for (const name of names) {
    fs.writeFileSync(path.join(outDir, `${name}.cjs`), `'use strict';\n// The ES module, through require() (Node >= 20.19 or 22.12): one copy of the code, one module instance.\nmodule.exports = require('./${name}.js');\n`);
  }
  if (!dts) return;
  const built = (name) => {
    try {
      return fs.statSync(path.join(outDir, `${name}.d.ts`)).mtimeMs >= since;
    } catch {
      return false;
    }
  };
  for (const deadline = Date.now() + 15 * 60_000; !names.every(built); ) {
    if (Date.now() > deadline) throw new Error(`libraryTsup: no declarations in ${outDir} after 15 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (const name of names) fs.writeFileSync(path.join(outDir, `${name}.d.cts`), `export * from './${name}.js';\n`);
}

/**
 * A tsup plugin that renames the local variables and parameters of every chunk, and `#private`
 * names (tfkit has none), with terser's mangler and no other transform: the code installs 15%
 * smaller (0.06 MiB of a GPT-2 install) while every name a stack trace or a user sees stays:
 * top-level functions, classes and constants, exports, properties, and the names of functions held
 * in local constants (`const step = () => …` still reports `step`). A chunk terser cannot parse
 * fails the build (tsup's own terser option would log it and ship the chunk unmangled).
 * @returns {{ name: string, renderChunk(code: string, info: { path: string }): Promise<{ code: string } | undefined> }}
 */
export function mangleLocals() {
  return {
    name: 'tfkit-mangle-locals',
    async renderChunk(code, info) {
      if (!/\.(js|mjs|cjs)$/.test(info.path)) return undefined;
      const out = await minify(code, {
        module: true,
        compress: false,
        mangle: { module: false, toplevel: false, keep_fnames: true, keep_classnames: true },
        format: { comments: false, preserve_annotations: true },
      }).catch((error) => {
        throw new Error(`mangleLocals: terser failed on ${info.path}: ${error.message}`);
      });
      if (typeof out.code !== 'string') throw new Error(`mangleLocals: terser gave no code for ${info.path}`);
      return { code: out.code };
    },
  };
}

/** @param {import('tsup').Options} [overrides] @returns {import('tsup').Options} */
export function libraryTsup(overrides = {}) {
  const options = {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: { compilerOptions: { paths: {} } },
    sourcemap: false,
    // Whitespace and syntax minified, then local variables and parameters renamed (`mangleLocals`);
    // every other identifier is kept: stack traces name tfkit's functions and classes, error classes
    // keep their names, and the code installs in 0.68× the bytes (comments live in the .d.ts, where
    // editors show them).
    minifyWhitespace: true,
    minifySyntax: true,
    splitting: true,
    clean: true,
    target: 'es2022',
    ...overrides,
    plugins: [...(overrides.plugins ?? []), mangleLocals()],
  };
  const entry = /** @type {Record<string, string>} */ (options.entry);
  if (Array.isArray(entry)) throw new Error('libraryTsup: name the entries ({ name: file }), so that each gets its CommonJS files');
  const outDir = options.outDir ?? 'dist';
  const onSuccess = overrides.onSuccess;
  const since = Date.now() - 1000;
  return {
    ...options,
    async onSuccess() {
      await writeCommonJsEntries(entry, outDir, Boolean(options.dts), since);
      if (typeof onSuccess === 'function') await onSuccess();
    },
  };
}
