// Browser tests (`pnpm test:browser`): the layers' forward and backward passes on webgl in headless
// Chromium, against cpu in the same page.
import { defineTfkitBrowserConfig } from '@tfkit/vitest-config/browser';

export default defineTfkitBrowserConfig(import.meta.dirname);
