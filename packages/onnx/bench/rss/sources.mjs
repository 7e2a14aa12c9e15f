// Node resolve hook for the RSS bench's child processes: `@tfkit/<pkg>` → packages/<pkg>/src/index.ts
// (the sources, as the tests and `pnpm bench` use them; tsx compiles the TypeScript).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'node:module';

const root = path.resolve(import.meta.dirname, '../../../..');
const hook = `
const root = ${JSON.stringify(root)};
export async function resolve(specifier, context, next) {
  const m = /^@tfkit\\/([a-z0-9-]+)$/.exec(specifier);
  if (m && m[1] !== 'test-utils' && m[1] !== 'vitest-config' && m[1] !== 'tsconfig' && m[1] !== 'eslint-config') {
    return next(${JSON.stringify(pathToFileURL(root).href)} + '/packages/' + m[1] + '/src/index.ts', context);
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
