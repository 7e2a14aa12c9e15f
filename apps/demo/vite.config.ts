// The demo is a static site: `vite build` writes dist/ with the page, its scripts, the wasm
// binaries (imported with `?url` in src/runtime.ts) and the embedded tiny GPT-2 under
// models/tiny-gpt2/, copied from packages/all/assets (the default model of pipeline('text-generation')
// and of the CLI's generate), so the model the page shows is the one the library ships.
import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { workspaceAliases } from '@tfkit/vitest-config';

const MODEL_DIR = path.resolve(import.meta.dirname, '../../packages/all/assets/tiny-gpt2');
const MODEL_ROUTE = 'models/tiny-gpt2';
/** What the page reads: the checkpoint and the tokenizer (not the training logs). */
const MODEL_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];

const CONTENT_TYPES: Record<string, string> = { '.json': 'application/json', '.safetensors': 'application/octet-stream', '.png': 'image/png', '.md': 'text/markdown; charset=utf-8' };

/** Serves the model files in `vite dev` and emits them into the build. */
function tinyGpt2Assets(): Plugin {
  return {
    name: 'tfkit-demo:tiny-gpt2',
    configureServer(server) {
      server.middlewares.use(`/${MODEL_ROUTE}`, (req, res, next) => {
        const name = decodeURIComponent((req.url ?? '').split('?')[0]!.replace(/^\//, ''));
        if (!MODEL_FILES.includes(name)) return next();
        const file = path.join(MODEL_DIR, name);
        res.setHeader('Content-Type', CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream');
        res.setHeader('Content-Length', fs.statSync(file).size);
        if (req.method === 'HEAD') return res.end();
        fs.createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const name of MODEL_FILES) {
        this.emitFile({ type: 'asset', fileName: `${MODEL_ROUTE}/${name}`, source: fs.readFileSync(path.join(MODEL_DIR, name)) });
      }
    },
  };
}

/** The "Every family" view's models (loaded on first use), with their model cards and example images. */
const FAMILY_MODELS = ['tiny-bert', 'tiny-bert-ner', 'tiny-bert-qa', 'tiny-bart-translation', 'tiny-bart-summarization', 'tiny-vit-fashion', 'tiny-gpt2-prompts'];
const FAMILY_FILES = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'README.md'];

/** `[route, file]` of every file of the family models that exists. */
function familyFiles(): [string, string][] {
  const out: [string, string][] = [];
  for (const name of FAMILY_MODELS) {
    const dir = path.resolve(MODEL_DIR, '..', name);
    const names = [...FAMILY_FILES, ...(fs.existsSync(path.join(dir, 'examples')) ? fs.readdirSync(path.join(dir, 'examples')).filter((f) => f.endsWith('.png')).map((f) => `examples/${f}`) : [])];
    for (const file of names) if (fs.existsSync(path.join(dir, file))) out.push([`models/${name}/${file}`, path.join(dir, file)]);
  }
  return out;
}

/** Serves the family models in `vite dev` and emits them into the build, like the tiny GPT-2. */
function familyAssets(): Plugin {
  return {
    name: 'tfkit-demo:family-models',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const route = decodeURIComponent((req.url ?? '').split('?')[0]!.replace(/^\//, ''));
        const found = familyFiles().find(([r]) => r === route);
        if (!found) return next();
        res.setHeader('Content-Type', CONTENT_TYPES[path.extname(route)] ?? 'application/octet-stream');
        res.setHeader('Content-Length', fs.statSync(found[1]).size);
        if (req.method === 'HEAD') return res.end();
        fs.createReadStream(found[1]).pipe(res);
      });
    },
    generateBundle() {
      for (const [route, file] of familyFiles()) this.emitFile({ type: 'asset', fileName: route, source: fs.readFileSync(file) });
    },
  };
}

// Cross-origin isolation lets the wasm backend run threads in `vite dev` and `vite preview`; on a
// static server without these headers it runs one thread (and says so in the backend line).
const nodeOnly = (id: string) => id.startsWith('node:') || id === 'fs/promises';

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig(({ command }) => ({
  // Relative URLs: dist/ works from any folder of any static server.
  base: './',
  plugins: [tinyGpt2Assets(), familyAssets()],
  // `vite dev` reads the workspace packages' sources (no build needed, edits reload at once);
  // `vite build` bundles their published dist/ like any app that installs them.
  resolve: command === 'serve' ? { alias: workspaceAliases() } : {},
  server: { headers: isolation },
  preview: { headers: isolation },
  build: {
    target: 'es2022',
    rollupOptions: {
      // Node built-ins the packages import dynamically on their Node-only paths (file system
      // sources, saving): left as imports the page never runs, instead of browser stubs.
      external: nodeOnly,
    },
  },
  // The model worker (src/worker.ts) is an ES module worker: it code-splits (tfjs' gradients load
  // on the first training step) like the page.
  worker: { format: 'es', rollupOptions: { external: nodeOnly } },
  optimizeDeps: { include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl'] },
}));
