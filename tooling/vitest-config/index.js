// Shared Vitest config. Tests import workspace packages by name (`@tfkit/layers`); the aliases below
// point those names at the sources, so `pnpm test` needs no build and a change in one package is
// seen at once by the tests of every package that uses it.
import fs from 'node:fs';
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
        const built = typeof target === 'string' ? target : (target.import ?? target.default);
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

export const repoRootDir = repoRoot;

/**
 * @param {string} packageDir the package's directory (`import.meta.dirname`)
 * @param {import('vitest/config').UserConfig} [overrides]
 */
export function defineTfkitConfig(packageDir, overrides = {}) {
  const base = defineConfig({
    root: packageDir,
    resolve: { alias: workspaceAliases() },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      exclude: ['**/*.browser.test.ts', '**/*.slow.test.ts', 'node_modules/**', 'dist/**'],
      environment: 'node',
      testTimeout: 60_000,
      hookTimeout: 60_000,
      pool: 'forks',
      setupFiles: [path.join(repoRoot, 'tooling/test-utils/src/setup.ts')],
    },
  });
  return mergeConfig(base, overrides);
}
