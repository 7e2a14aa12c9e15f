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

const CONTENT_TYPES: Record<string, string> = { '.json': 'application/json', '.safetensors': 'application/octet-stream' };

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

// Cross-origin isolation lets the wasm backend run threads in `vite dev` and `vite preview`; on a
// static server without these headers it runs one thread (and says so in the backend line).
const nodeOnly = (id: string) => id.startsWith('node:') || id === 'fs/promises';

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig(({ command }) => ({
  // Relative URLs: dist/ works from any folder of any static server.
  base: './',
  plugins: [tinyGpt2Assets()],
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
