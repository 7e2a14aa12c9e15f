/**
 * Makes sure dist/ holds a build of the current sources. Under turbo, `test:browser` depends on
 * `build`, so this finds it fresh; run alone, it builds when dist/ is missing or older than the
 * page's own sources or the embedded models it copies (packages/all/assets).
 */
import fs from 'node:fs';
import path from 'node:path';

const appDir = path.resolve(import.meta.dirname, '..');

function newestMtime(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

export default async function setup(): Promise<void> {
  const built = path.join(appDir, 'dist', 'index.html');
  const sources = ['src', 'public', 'index.html', 'vite.config.ts', '../../packages/all/assets'].map((p) => newestMtime(path.join(appDir, p)));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= Math.max(...sources)) return;
  const { build } = await import('vite');
  await build({ root: appDir, configFile: path.join(appDir, 'vite.config.ts'), logLevel: 'warn' });
}
