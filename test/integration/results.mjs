// Reads mocha's JSON report, shared by both integration runners. A missing
// report or a run with zero tests is a failure: it means the suite never ran.
import * as fs from 'node:fs';

/** Prints each failure and the summary line `N passed, N failed`; returns the process exit code. */
export function reportResults(file, log = console.log) {
  if (!fs.existsSync(file)) {
    log(`no results file at ${file}: the suite did not run to the end`);
    log('0 passed, 1 failed');
    return 1;
  }
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    log(`results file ${file} is not JSON: ${e.message}`);
    log('0 passed, 1 failed');
    return 1;
  }
  const passes = report.passes ?? [];
  const failures = report.failures ?? [];
  for (const t of passes) log(`  ✓ ${t.fullTitle} (${t.duration ?? 0} ms)`);
  for (const t of report.pending ?? []) log(`  - ${t.fullTitle} (pending)`);
  for (const t of failures) {
    log(`  ✗ ${t.fullTitle}`);
    const err = t.err ?? {};
    log(`      ${String(err.stack || err.message || JSON.stringify(err)).split('\n').join('\n      ')}`);
  }
  if (passes.length + failures.length === 0) log('zero tests ran: counting that as a failure');
  log(`${passes.length} passed, ${failures.length} failed`);
  return failures.length === 0 && passes.length > 0 ? 0 : 1;
}
