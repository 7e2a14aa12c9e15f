import { libraryTsup } from '@tfkit/tsconfig/tsup.mjs';
import { defineConfig } from 'tsup';

export default defineConfig(
  libraryTsup({
    // Keep `node:` specifiers: the Node-only paths must stay recognisable as built-ins.
    removeNodeProtocol: false,
  }),
);
