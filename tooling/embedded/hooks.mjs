// `node --import ./tooling/embedded/hooks.mjs script.ts`: runs a TypeScript script of tooling/embedded
// from the sources, the way the CLI's tests do (@tfkit/* → each package's src/, .ts transpiled).
import { register } from 'node:module';

register(new URL('../../apps/cli/src/source-hooks.mjs', import.meta.url).href);
