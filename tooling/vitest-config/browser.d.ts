import type { UserConfig } from 'vitest/config';
export declare const CHROMIUM_ARGS: string[];
export declare function defineTfkitBrowserConfig(packageDir: string, overrides?: UserConfig): UserConfig;
