// What a browser bundle of `@tfkit/tokenizers/core` holds, read from esbuild's metafile (the
// workspace sources, bundled with code splitting as a page would be): its static graph has no
// component module and nothing of core-tensor but the TfkitError base class; each component module is a chunk of
// its own, loaded by `loadTokenizer` when a file names one of its types.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';

const packagesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** `@tfkit/<pkg>[/<entry>]` → `packages/<pkg>/src/<entry>.ts`. */
const workspaceSources: esbuild.Plugin = {
  name: 'workspace-sources',
  setup(build) {
    build.onResolve({ filter: /^@tfkit\// }, ({ path: spec }) => {
      const [, pkg, sub] = /^@tfkit\/([^/]+)(?:\/(.+))?$/.exec(spec)!;
      return { path: path.join(packagesDir, pkg!, 'src', `${sub ?? 'index'}.ts`) };
    });
  },
};

async function page(code: string): Promise<esbuild.Metafile> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-core-bundle-'));
  try {
    fs.writeFileSync(path.join(dir, 'page.mjs'), code);
    const result = await esbuild.build({
      entryPoints: [path.join(dir, 'page.mjs')], absWorkingDir: packagesDir, bundle: true, splitting: true, format: 'esm', platform: 'browser', target: 'es2022',
      minify: true, write: false, outdir: path.join(dir, 'out'), metafile: true, logLevel: 'silent', plugins: [workspaceSources],
    });
    return result.metafile;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The chunks `from` loads statically, itself included. */
function staticChunks(meta: esbuild.Metafile, from: string): Set<string> {
  const chunks = new Set<string>();
  const visit = (chunk: string): void => {
    if (chunks.has(chunk)) return;
    chunks.add(chunk);
    for (const i of meta.outputs[chunk]!.imports) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(from);
  return chunks;
}

/** The source modules (as `pkg/src/…` paths: the metafile's, relative to packagesDir) of the chunks `from` loads statically. */
function staticModules(meta: esbuild.Metafile, from: string): Set<string> {
  const modules = new Set<string>();
  for (const chunk of staticChunks(meta, from)) {
    for (const [file, { bytesInOutput }] of Object.entries(meta.outputs[chunk]!.inputs)) if (bytesInOutput > 0) modules.add(file);
  }
  return modules;
}

const COMPONENT = /^tokenizers\/src\/(lazy\/|normalizers\/|pre-tokenizers\/|processors\/(processors|byte-level|trim-offsets|roberta)|decoders\/(decoders|byte-level)|models\/(bpe|wordpiece|wordlevel)|builtin-components|byte-level-components|normalized-string-edits|loaders|vocab-files|trainers\/)/;

describe('a page bundle of @tfkit/tokenizers/core', () => {
  it('loads no component module and nothing of core-tensor but TfkitError statically; every component module is a lazy chunk', async () => {
    const meta = await page("import { loadTokenizer } from '@tfkit/tokenizers/core';\nconst t = await loadTokenizer(globalThis.json);\nconsole.log(t.decode(t.encode('x').ids));\n");
    const entry = Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint?.endsWith('page.mjs'))!;
    const modules = [...staticModules(meta, entry)];
    expect(modules).toContain('tokenizers/src/tokenizer.ts');
    expect(modules.filter((m) => COMPONENT.test(m))).toEqual([]);
    expect(modules.filter((m) => m.startsWith('core-tensor/'))).toEqual(['core-tensor/src/tfkit-error.ts']);
    // The core is one chunk, not one per set of entries that reach a file (each gzipped on its own):
    // every lazy entry reaches the whole core through lazy-components.ts (the chunk anchor, see there).
    const withTokenizerCode = (chunk: string) => Object.entries(meta.outputs[chunk]!.inputs).some(([file, { bytesInOutput }]) => bytesInOutput > 0 && file.startsWith('tokenizers/src/'));
    expect([...staticChunks(meta, entry)].filter((c) => c !== entry && withTokenizerCode(c))).toHaveLength(1);
    // Each component module is the entry of a chunk of its own (what loadTokenizer imports: lazy/*.ts re-export them).
    const lazy = Object.values(meta.outputs).map((o) => o.entryPoint).filter((e) => e && COMPONENT.test(e)).sort();
    for (const module of ['byte-level-components', 'lazy/bpe', 'lazy/wordpiece', 'lazy/wordlevel', 'lazy/normalizers', 'lazy/pre-tokenizers', 'lazy/processors', 'lazy/decoders']) {
      expect(lazy).toContain(`tokenizers/src/${module}.ts`);
    }
    // GPT-2's two component modules (the three ByteLevel types in one, BPE) bring BPE's merge machinery and the seeded
    // generator (BPE-dropout), no other core-tensor module, and none of the other pre-tokenizers, post-processors or decoders.
    const gpt2 = new Set<string>();
    for (const [chunk, out] of Object.entries(meta.outputs)) {
      if (/byte-level-components\.ts$|lazy\/bpe\.ts$/.test(out.entryPoint ?? '')) for (const m of staticModules(meta, chunk)) gpt2.add(m);
    }
    expect([...gpt2].filter((m) => m.startsWith('core-tensor/')).sort()).toEqual(['core-tensor/src/random.ts', 'core-tensor/src/tfkit-error.ts']);
    expect([...gpt2].filter((m) => /wordpiece|normalizers\/|processors\/processors|decoders\/decoders|pre-tokenizers\/pre-tokenizers/.test(m))).toEqual([]);
    // …and the other pre-tokenizer, post-processor and decoder modules do not bring the ByteLevel ones nor their offset
    // trimming (a BERT page loads none; RobertaProcessing, which trims, is a module of its own).
    for (const [chunk, out] of Object.entries(meta.outputs)) {
      if (/lazy\/(pre-tokenizers|processors|decoders)\.ts$/.test(out.entryPoint ?? '')) {
        expect([...staticModules(meta, chunk)].filter((m) => /\/byte-level\.ts$|gpt2-split|trim-offsets/.test(m) && !m.endsWith('src/byte-level.ts')), out.entryPoint).toEqual([]);
      }
    }
  });

  it('the main entry still reaches every component type statically (its synchronous fromJSON builds any)', async () => {
    const meta = await page("import { Tokenizer } from '@tfkit/tokenizers';\nconsole.log(Tokenizer.fromJSON(globalThis.json).encode('x').ids);\n");
    const entry = Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint?.endsWith('page.mjs'))!;
    const modules = staticModules(meta, entry);
    for (const module of ['builtin-components', 'normalizers/normalizers', 'pre-tokenizers/pre-tokenizers', 'pre-tokenizers/byte-level', 'models/bpe', 'models/wordpiece', 'models/wordlevel', 'processors/processors', 'decoders/decoders']) {
      expect(modules, module).toContain(`tokenizers/src/${module}.ts`);
    }
  });
});
