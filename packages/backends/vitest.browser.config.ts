// Browser tests (`pnpm test:browser`): the gradient suite on webgl and wasm in headless Chromium,
// and webgpu's synchronous reads.
import { defineTfkitBrowserConfig } from '@tfkit/vitest-config/browser';

export default defineTfkitBrowserConfig(import.meta.dirname, {
  // Cross-origin isolation gives the page SharedArrayBuffer, so the threaded wasm binary can run.
  server: {
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
  optimizeDeps: { include: ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'] },
});
