// Shared Vitest config. Tests import workspace packages by name (`@tfkit/layers`); the aliases below
// point those names at the sources, so `pnpm test` needs no build and a change in one package is
// seen at once by the tests of every package that uses it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** `@tfkit/<name>[/<subpath>]` → `<pkg>/src/<entry>.ts`, from each package's exports map. */
export function workspaceAliases() {
  const aliases = [];
  for (const group of ['packages', 'tooling']) {
    const groupDir = path.join(repoRoot, group);
    if (!fs.existsSync(groupDir)) continue;
    for (const dir of fs.readdirSync(groupDir)) {
      const pkgFile = path.join(groupDir, dir, 'package.json');
      if (!fs.existsSync(pkgFile)) continue;
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
      const srcDir = path.join(groupDir, dir, 'src');
      if (!pkg.name?.startsWith('@tfkit/') || !fs.existsSync(srcDir)) continue;
      for (const [sub, target] of Object.entries(pkg.exports ?? { '.': './dist/index.js' })) {
        if (sub === './package.json') continue;
        // Conditions may nest (`import: { types, default }`): follow import/node/default to a file.
        const pick = (t) => (typeof t === 'string' || !t ? t : pick(t.import ?? t.node ?? t.default));
        const built = pick(target);
        if (typeof built !== 'string') continue;
        const entry = path.basename(built, '.js');
        const file = path.join(srcDir, `${entry}.ts`);
        if (!fs.existsSync(file)) continue;
        const name = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
        aliases.push({ find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`), replacement: file });
      }
    }
  }
  return aliases;
}

/**
 * An esbuild plugin that resolves `@tfkit/*` imports to the workspace sources (`workspaceAliases`),
 * for pages the benchmarks bundle from sources.
 */
export function workspaceSourcesPlugin() {
  const aliases = workspaceAliases();
  return {
    name: 'tfkit-sources',
    setup(build) {
      build.onResolve({ filter: /^@tfkit\// }, (args) => {
        const hit = aliases.find((a) => a.find.test(args.path));
        return hit ? { path: hit.replacement } : undefined;
      });
    },
  };
}

export const repoRootDir = repoRoot;

/**
 * @param {string} packageDir the package's directory (`import.meta.dirname`)
 * @param {import('vitest/config').UserConfig} [overrides]
 */
export function defineTfkitConfig(packageDir, overrides = {}) {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const pkgName = pkg.name.replace(/^@tfkit\//, '');
  // Packages that do not use TensorFlow.js (tokenizers) run without the tfjs setup.
  const usesTfjs = ['dependencies', 'peerDependencies', 'devDependencies'].some((k) => pkg[k]?.['@tensorflow/tfjs-core']);
  const base = defineConfig({
    root: packageDir,
    resolve: { alias: workspaceAliases() },
    test: {
      environment: 'node',
      // A guard against hangs only: tests that take 5–20 s on a quiet machine have passed 60 s on a
      // loaded 2-core CI machine (no test may assert on wall-clock time).
      testTimeout: 300_000,
      hookTimeout: 300_000,
      pool: 'forks',
      setupFiles: usesTfjs ? [path.join(repoRoot, 'tooling/test-utils/src/setup.ts')] : [],
      // Downloads (hub ids and URLs, cached by default) go to a fresh folder per run, never ~/.cache.
      env: { TFKIT_CACHE: fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-test-cache-')) },
      // Machine-readable results for the summary line `pnpm test:all` prints.
      reporters: ['default', ['json', { outputFile: path.join(repoRoot, '.vitest-results', `${pkgName}-${process.env.TFKIT_TEST_PROJECT ?? 'all'}.json`) }]],
      // `unit` runs on every `pnpm test`; `slow` (training to a target, long properties) runs in CI
      // through `pnpm test:slow`. Browser tests have their own config (see packages/backends).
      projects: [
        { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: ['**/*.slow.test.ts', '**/*.fuzz.test.ts', '**/*.browser.test.ts', 'node_modules/**', 'dist/**'] } },
        // Slow tests train models and call PyTorch: on a loaded 2-core CI machine they take several times
        // what they take on a quiet one. Their timeout only guards against a hang, so it is generous
        // (10 min); no slow test may assert on wall-clock time.
        { extends: true, test: { name: 'slow', include: ['src/**/*.slow.test.ts', 'test/**/*.slow.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 } },
        // `fuzz`: seeded mutations of checkpoints, configs and tokenizer files and random model inputs;
        // any untyped error, hang or crash fails it. Runs in CI through `pnpm test:fuzz`.
        { extends: true, test: { name: 'fuzz', include: ['src/**/*.fuzz.test.ts', 'test/**/*.fuzz.test.ts'] } },
      ],
    },
  });
  return mergeConfig(base, overrides);
}

/**
 * `pnpm bench`: runs the `*.bench.ts` files under bench/ through Vitest, with @tfkit/* resolved to sources and
 * the tests' setup (tfjs's gradients and backends, tooling/test-utils) registered.
 * @param {string} benchDir the package's bench directory (`import.meta.dirname` of bench/vitest.config.ts)
 * @param {{ testTimeout?: number }} [options] a bench's time limit (default 30 min): it guards against a hang only
 */
export function defineTfkitBenchConfig(benchDir, { testTimeout = 1_800_000 } = {}) {
  return defineConfig({
    root: path.resolve(benchDir, '..'),
    resolve: { alias: workspaceAliases() },
    test: {
      include: ['bench/**/*.bench.ts'],
      environment: 'node',
      pool: 'forks',
      testTimeout,
      setupFiles: [path.join(repoRoot, 'tooling/test-utils/src/setup.ts')],
    },
  });
}
