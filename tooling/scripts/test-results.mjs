// The accounting behind `pnpm test:all`'s summary: which result files each test task must leave in
// `.vitest-results/` (one per package that has the script), which are missing (the package's run was
// killed, timed out as a whole or never started), and the totals of the files that are there.
import fs from 'node:fs';
import path from 'node:path';

/** Test task → the Vitest project name in the result file (`<package>-<project>.json`). */
export const RESULT_PROJECT = { test: 'unit', 'test:fuzz': 'fuzz', 'test:slow': 'slow', 'test:browser': 'browser' };

/** Every workspace package.json under packages/, apps/ and tooling/. */
export function workspacePackages(root) {
  return ['packages', 'apps', 'tooling']
    .flatMap((group) => (fs.existsSync(path.join(root, group)) ? fs.readdirSync(path.join(root, group)).map((d) => path.join(root, group, d, 'package.json')) : []))
    .filter((file) => fs.existsSync(file))
    .map((file) => JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** The result files `task` must produce: one per package with that script. */
export function expectedResults(packages, task) {
  const project = RESULT_PROJECT[task];
  if (!project) return [];
  return packages.filter((pkg) => pkg.scripts?.[task]).map((pkg) => `${pkg.name.replace(/^@tfkit\//, '')}-${project}.json`);
}

/** The expected result files of `task` that `resultsDir` lacks. */
export function missingResults(resultsDir, packages, task) {
  return expectedResults(packages, task).filter((file) => !fs.existsSync(path.join(resultsDir, file)));
}

/**
 * Totals over the result files in `resultsDir`: tests passed, failed and skipped, and the test files
 * that failed without a failing test (an import error, a crash in a hook): those count as failures.
 * An unreadable result file (a run killed while writing it) counts as a failure too.
 */
export function summarize(resultsDir) {
  const totals = { passed: 0, failed: 0, skipped: 0, brokenFiles: [], unreadable: [] };
  if (!fs.existsSync(resultsDir)) return totals;
  for (const file of fs.readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort()) {
    let report;
    try {
      report = JSON.parse(fs.readFileSync(path.join(resultsDir, file), 'utf8'));
    } catch {
      totals.unreadable.push(file);
      continue;
    }
    totals.passed += report.numPassedTests ?? 0;
    totals.failed += report.numFailedTests ?? 0;
    totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    for (const result of report.testResults ?? []) {
      const failedTests = (result.assertionResults ?? []).some((a) => a.status === 'failed');
      if (result.status === 'failed' && !failedTests) totals.brokenFiles.push(`${file.replace(/\.json$/, '')}: ${path.basename(result.name ?? '?')}`);
    }
  }
  return totals;
}

/** The summary line(s) `pnpm test:all` ends with. */
export function summaryLines(totals, missing) {
  const lines = [`tests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`];
  if (totals.brokenFiles.length) lines.push(`test files that failed to run: ${totals.brokenFiles.join(', ')}`);
  if (missing.length) lines.push(`no results (killed, timed out or never started): ${missing.map((f) => f.replace(/\.json$/, '')).join(', ')}`);
  if (totals.unreadable.length) lines.push(`unreadable results: ${totals.unreadable.join(', ')}`);
  return lines;
}

/** Whether the totals say every test ran and passed. */
export function allPassed(totals, missing) {
  return totals.failed === 0 && totals.brokenFiles.length === 0 && totals.unreadable.length === 0 && missing.length === 0;
}
