import type { UserConfig } from 'vitest/config';
export declare const repoRootDir: string;
export declare function workspaceAliases(): { find: RegExp; replacement: string }[];
/** An esbuild plugin resolving `@tfkit/*` imports to the workspace sources. */
export declare function workspaceSourcesPlugin(): { name: string; setup(build: { onResolve(options: { filter: RegExp }, callback: (args: { path: string }) => { path: string } | undefined): void }): void };
export declare function defineTfkitConfig(packageDir: string, overrides?: UserConfig): UserConfig;
export declare function defineTfkitBenchConfig(benchDir: string, options?: { testTimeout?: number }): UserConfig;
