// `node --import ./tooling/embedded/register.mjs script.ts`: runs a training script of tooling/embedded from the
// TypeScript sources: `@tfkit/*` resolve to each package's src/ (the CLI's Node module hooks, as the tests
// see them), and other packages the script imports (TensorFlow.js) resolve as they do for the CLI.
import { register } from 'node:module';

register('../../apps/cli/src/source-hooks.mjs', import.meta.url);
register(`data:text/javascript,${encodeURIComponent(`
const cli = ${JSON.stringify(new URL('../../apps/cli/src/bin.ts', import.meta.url).href)};
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || /^[./]|^node:|^file:/.test(specifier)) throw error;
    return nextResolve(specifier, { ...context, parentURL: cli });
  }
}`)}`);
