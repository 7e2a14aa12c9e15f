// What a browser bundle of `@tfkit/tokenizers/core` (modular) and `@tfkit/tokenizers/lazy` holds,
// read from esbuild's metafile (the workspace sources, bundled with code splitting as a page would
// be). A modular GPT-2 page is one file with the core, BPE and the ByteLevel types, and no optional
// feature; a lazy page's static graph has no component module, each being a chunk of its own.
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

const pageEntry = (meta: esbuild.Metafile): string => Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint?.endsWith('page.mjs'))!;

const COMPONENT = /^tokenizers\/src\/(lazy\/|normalizers\/|pre-tokenizers\/|processors\/(processors|byte-level|trim-offsets|roberta)|decoders\/(decoders|byte-level)|models\/(bpe|wordpiece|wordlevel)|builtin-components|byte-level-components|normalized-string-edits|loaders|vocab-files|trainers\/)/;
/** The optional features' modules and the loaders that import code. */
const FEATURE = /^tokenizers\/src\/(truncation|padding|serialization|bpe-dropout|pretrained|processors\/trim-offsets|lazy-components|loaders)\.ts$/;

describe('a page bundle of @tfkit/tokenizers/core (modular)', () => {
  it('GPT-2 (use(byteLevel, bpe) + fetchTokenizer): one file, the core, BPE and the ByteLevel types, no other component, no feature, nothing of core-tensor but TfkitError', async () => {
    const meta = await page("import { fetchTokenizer, use, byteLevel, bpe } from '@tfkit/tokenizers/core';\nuse(byteLevel, bpe);\nconst t = await fetchTokenizer('./gpt2');\nconsole.log(t.decode(t.encode('x').ids));\n");
    expect(Object.keys(meta.outputs).filter((o) => o.endsWith('.js'))).toHaveLength(1);
    const modules = [...staticModules(meta, pageEntry(meta))];
    for (const m of ['tokenizer', 'pipeline', 'encoding', 'models/bpe', 'pre-tokenizers/byte-level', 'processors/byte-level', 'decoders/byte-level', 'gpt2-split']) {
      expect(modules, m).toContain(`tokenizers/src/${m}.ts`);
    }
    expect(modules.filter((m) => FEATURE.test(m))).toEqual([]);
    expect(modules.filter((m) => /normalizers\/|wordpiece|wordlevel|processors\/(processors|roberta)|decoders\/decoders|pre-tokenizers\/pre-tokenizers|normalized-string-edits|unicode-classes|gpt2-pattern/.test(m))).toEqual([]);
    expect(modules.filter((m) => m.startsWith('core-tensor/'))).toEqual(['core-tensor/src/tfkit-error.ts']);
  });

  it('a feature the page uses comes in the same file (truncation: its module, not padding)', async () => {
    const meta = await page("import { Tokenizer, use, wordPiece, truncation } from '@tfkit/tokenizers/core';\nuse(wordPiece, truncation);\nconsole.log(Tokenizer.fromJSON(globalThis.json).encode('x', { truncation: true }).ids);\n");
    const modules = [...staticModules(meta, pageEntry(meta))];
    expect(modules).toContain('tokenizers/src/truncation.ts');
    expect(modules).toContain('tokenizers/src/models/wordpiece.ts');
    expect(modules.filter((m) => /padding|serialization|models\/bpe/.test(m))).toEqual([]);
  });
});

describe('a page bundle of @tfkit/tokenizers/lazy', () => {
  it('loads no component module and nothing of core-tensor but TfkitError statically; every component module and feature is a lazy chunk', async () => {
    const meta = await page("import { loadTokenizer } from '@tfkit/tokenizers/lazy';\nconst t = await loadTokenizer(globalThis.json);\nconsole.log(t.decode(t.encode('x').ids));\n");
    const entry = pageEntry(meta);
    const modules = [...staticModules(meta, entry)];
    expect(modules).toContain('tokenizers/src/tokenizer.ts');
    expect(modules.filter((m) => COMPONENT.test(m) || (FEATURE.test(m) && !m.endsWith('lazy-components.ts') && !m.endsWith('pretrained.ts')))).toEqual([]);
    expect(modules.filter((m) => m.startsWith('core-tensor/'))).toEqual(['core-tensor/src/tfkit-error.ts']);
    // Each component module and feature is the entry of a chunk of its own (what loadTokenizer imports: lazy/*.ts re-export them).
    const lazy = Object.values(meta.outputs).map((o) => o.entryPoint).filter((e) => e && COMPONENT.test(e)).sort();
    for (const module of ['byte-level', 'bpe', 'wordpiece', 'wordlevel', 'normalizers', 'pre-tokenizers', 'processors', 'decoders', 'truncation', 'padding', 'trim-offsets', 'bpe-dropout']) {
      expect(lazy).toContain(`tokenizers/src/lazy/${module}.ts`);
    }
    // GPT-2's two component modules (the three ByteLevel types in one, BPE) bring BPE's merge machinery, nothing of
    // core-tensor but TfkitError, and none of the other pre-tokenizers, post-processors or decoders.
    const gpt2 = new Set<string>();
    for (const [chunk, out] of Object.entries(meta.outputs)) {
      if (/lazy\/(byte-level|bpe)\.ts$/.test(out.entryPoint ?? '')) for (const m of staticModules(meta, chunk)) gpt2.add(m);
    }
    expect([...gpt2].filter((m) => m.startsWith('core-tensor/')).sort()).toEqual(['core-tensor/src/tfkit-error.ts']);
    expect([...gpt2].filter((m) => /wordpiece|normalizers\/|processors\/processors|decoders\/decoders|pre-tokenizers\/pre-tokenizers|trim-offsets/.test(m))).toEqual([]);
  });
});

describe('a page bundle of @tfkit/tokenizers', () => {
  it('the main entry still reaches every component type and feature statically (its synchronous fromJSON builds any)', async () => {
    const meta = await page("import { Tokenizer } from '@tfkit/tokenizers';\nconsole.log(Tokenizer.fromJSON(globalThis.json).encode('x').ids);\n");
    const modules = staticModules(meta, pageEntry(meta));
    for (const module of ['builtin-components', 'normalizers/normalizers', 'pre-tokenizers/pre-tokenizers', 'pre-tokenizers/byte-level', 'models/bpe', 'models/wordpiece', 'models/wordlevel', 'processors/processors', 'decoders/decoders', 'truncation', 'padding', 'serialization', 'processors/trim-offsets', 'bpe-dropout']) {
      expect(modules, module).toContain(`tokenizers/src/${module}.ts`);
    }
  });
});
