import type { UserConfig } from 'vitest/config';
export declare const repoRootDir: string;
export declare function workspaceAliases(): { find: RegExp; replacement: string }[];
export declare function defineTfkitConfig(packageDir: string, overrides?: UserConfig): UserConfig;
export declare function defineTfkitBenchConfig(benchDir: string, options?: { testTimeout?: number }): UserConfig;
