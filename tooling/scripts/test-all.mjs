#!/usr/bin/env node
// Everything CI checks, in order: build, typecheck, lint, publint + attw, unit tests, slow tests,
// browser tests. Every step runs even when an earlier one fails, then one summary line is printed
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
  ['unit tests', ['turbo', 'run', 'test', '--concurrency=2']],
  ['slow tests', ['turbo', 'run', 'test:slow', '--concurrency=1']],
  ['browser tests', ['turbo', 'run', 'test:browser', '--concurrency=1']],
];

const failedSteps = [];
for (const [label, cmd] of steps) {
  const started = Date.now();
  console.log(`\n=== ${label}: ${cmd.join(' ')}`);
  const run = spawnSync('pnpm', ['exec', ...cmd], { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`=== ${label}: ${run.status === 0 ? 'ok' : `FAILED (exit ${run.status})`} in ${seconds}s`);
  if (run.status !== 0) failedSteps.push(label);
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
