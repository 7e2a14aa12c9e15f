#!/usr/bin/env node
// Everything CI checks, in order: build, typecheck, lint, publint + attw, unit tests, fuzz tests,
// slow tests, browser tests, and the pack-and-install check (tooling/scripts/pack-check.mjs). Every
// step runs even when an earlier one fails, then one summary line is printed ("tests: N passed,
// N failed") and the exit code says whether all steps passed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allPassed, missingResults, summarize, summaryLines, workspacePackages } from './test-results.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const results = path.join(root, '.vitest-results');
fs.rmSync(results, { recursive: true, force: true });

const steps = [
  ['build, typecheck, lint, publint', ['turbo', 'run', 'build', 'typecheck', 'lint', 'publint', '--concurrency=2', '--continue']],
  ['unit tests', ['turbo', 'run', 'test', '--concurrency=2', '--continue']],
  ['fuzz tests', ['turbo', 'run', 'test:fuzz', '--concurrency=2', '--continue']],
  ['slow tests', ['turbo', 'run', 'test:slow', '--concurrency=1', '--continue']],
  ['browser tests', ['turbo', 'run', 'test:browser', '--concurrency=1', '--continue']],
  // Packs every package, installs the tarballs with npm in clean projects and runs the README
  // snippets (ESM, CommonJS, browser bundle) against size budgets. Its counts go to
  // `.vitest-results/pack-check.json`; a run killed at the time limit leaves none and fails.
  ['pack-and-install check', ['node', 'tooling/scripts/pack-check.mjs', '--results', path.join(results, 'pack-check.json')], { timeout: 60 * 60_000, results: 'pack-check.json' }],
];

// Each package that has a test script writes `.vitest-results/<name>-<project>.json`; a package whose
// run was killed (a timeout, a crash) writes none, and it must count as a failure, not vanish.
const packages = workspacePackages(root);
const missing = [];

const failedSteps = [];
for (const [label, cmd, options = {}] of steps) {
  const started = Date.now();
  console.log(`\n=== ${label}: ${cmd.join(' ')}`);
  const run = spawnSync('pnpm', ['exec', ...cmd], { cwd: root, stdio: 'inherit', ...(options.timeout ? { timeout: options.timeout, killSignal: 'SIGKILL' } : {}) });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const why = run.error?.code === 'ETIMEDOUT' ? `killed at the ${options.timeout / 60_000}-minute limit` : `exit ${run.status}`;
  console.log(`=== ${label}: ${run.status === 0 ? 'ok' : `FAILED (${why})`} in ${seconds}s`);
  const absent = options.results ? [options.results].filter((file) => !fs.existsSync(path.join(results, file))) : missingResults(results, packages, cmd[2]);
  if (absent.length) console.log(`=== ${label}: no results from ${absent.join(', ')} (the run was killed or never started)`);
  missing.push(...absent);
  if (run.status !== 0 || absent.length) failedSteps.push(label);
}

const totals = summarize(results);
if (failedSteps.length) console.log(`\nFailed steps: ${failedSteps.join(', ')}`);
console.log(`\n${summaryLines(totals, missing).join('\n')}`);
process.exit(failedSteps.length || !allPassed(totals, missing) ? 1 : 0);
