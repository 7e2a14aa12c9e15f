#!/usr/bin/env node
// Everything CI checks, in order: build, typecheck, lint, publint + attw, unit tests, fuzz tests,
// slow tests, browser tests. Every step runs even when an earlier one fails, then one summary line is printed
// ("tests: N passed, N failed") and the exit code says whether all steps passed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const results = path.join(root, '.vitest-results');
fs.rmSync(results, { recursive: true, force: true });

const steps = [
  ['build, typecheck, lint, publint', ['turbo', 'run', 'build', 'typecheck', 'lint', 'publint', '--concurrency=2']],
  ['unit tests', ['turbo', 'run', 'test', '--concurrency=2', '--continue']],
  ['fuzz tests', ['turbo', 'run', 'test:fuzz', '--concurrency=2', '--continue']],
  ['slow tests', ['turbo', 'run', 'test:slow', '--concurrency=1', '--continue']],
  ['browser tests', ['turbo', 'run', 'test:browser', '--concurrency=1', '--continue']],
];

// Each package that has a test script writes `.vitest-results/<name>-<project>.json`; a package whose
// run was killed (a timeout, a crash) writes none, and it must count as a failure, not vanish.
const workspaces = ['packages', 'apps', 'tooling']
  .flatMap((group) => (fs.existsSync(path.join(root, group)) ? fs.readdirSync(path.join(root, group)).map((d) => path.join(root, group, d, 'package.json')) : []))
  .filter((file) => fs.existsSync(file))
  .map((file) => JSON.parse(fs.readFileSync(file, 'utf8')));
const resultName = { test: 'unit', 'test:fuzz': 'fuzz', 'test:slow': 'slow', 'test:browser': 'browser' };
function missingResults(task) {
  const project = resultName[task];
  if (!project) return [];
  return workspaces
    .filter((pkg) => pkg.scripts?.[task])
    .map((pkg) => `${pkg.name.replace(/^@tfkit\//, '')}-${project}.json`)
    .filter((file) => !fs.existsSync(path.join(results, file)));
}

const failedSteps = [];
for (const [label, cmd] of steps) {
  const started = Date.now();
  console.log(`\n=== ${label}: ${cmd.join(' ')}`);
  const run = spawnSync('pnpm', ['exec', ...cmd], { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`=== ${label}: ${run.status === 0 ? 'ok' : `FAILED (exit ${run.status})`} in ${seconds}s`);
  const missing = missingResults(cmd[2]);
  if (missing.length) console.log(`=== ${label}: no results from ${missing.join(', ')} (the run was killed or never started)`);
  if (run.status !== 0 || missing.length) failedSteps.push(label);
}

let passed = 0;
let failed = 0;
let skipped = 0;
if (fs.existsSync(results)) {
  for (const file of fs.readdirSync(results).filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(fs.readFileSync(path.join(results, file), 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  }
}
if (failedSteps.length) console.log(`\nFailed steps: ${failedSteps.join(', ')}`);
console.log(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failedSteps.length || failed ? 1 : 0);
