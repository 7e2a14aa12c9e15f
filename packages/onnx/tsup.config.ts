import { libraryTsup } from '@tfkit/tsconfig/tsup.mjs';
import { defineConfig } from 'tsup';

export default defineConfig(libraryTsup());
