// Shared config for browser tests (`pnpm test:browser`): `src/**/*.browser.test.ts` in headless
// Chromium driven by Playwright. Debian's /usr/bin/chromium is used (CHROMIUM_PATH overrides), so
// Playwright never downloads a browser; WebGL and WebGPU come from SwiftShader, so no GPU is needed.
import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';
import { repoRootDir, workspaceAliases } from './index.js';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  // Linux Chromium ships WebGPU behind this flag; without a GPU its adapter is SwiftShader too.
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/**
 * @param {string} packageDir the package's directory (`import.meta.dirname`)
 * @param {import('vitest/config').UserConfig} [overrides]
 */
export function defineTfkitBrowserConfig(packageDir, overrides = {}) {
  const pkgName = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).name.replace(/^@tfkit\//, '');
  const base = defineConfig({
    root: packageDir,
    resolve: {
      alias: [
        // Only the tensor assertions: the fixtures half of test-utils reads files with node:fs.
        { find: /^@tfkit\/test-utils$/, replacement: path.join(repoRootDir, 'tooling/test-utils/src/tensors.ts') },
        ...workspaceAliases(),
      ],
    },
    optimizeDeps: { include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgl'] },
    test: {
      include: ['src/**/*.browser.test.ts'],
      // Generous: on a loaded 2-core CI machine Chromium (SwiftShader WebGL) runs several times slower
      // than on a quiet one. These only guard against a hang; browser tests assert nothing about time.
      testTimeout: 180_000,
      hookTimeout: 180_000,
      reporters: ['default', ['json', { outputFile: path.join(repoRootDir, '.vitest-results', `${pkgName}-browser.json`) }]],
      browser: {
        enabled: true,
        provider: 'playwright',
        headless: true,
        screenshotFailures: false,
        // Starting Chromium and loading the test page with its module graph (default 30 s).
        connectTimeout: 180_000,
        instances: [{ browser: 'chromium', launch: { executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS } }],
      },
    },
  });
  return mergeConfig(base, overrides);
}
