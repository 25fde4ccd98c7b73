import type { Reporter, SerializedError, TestModule, TestSuite } from 'vitest/node';

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, so CI logs state the
 * outcome in a form any reader (or log scanner) understands without vitest's colours.
 * A file or suite that failed outside any test (an import that throws, a failing beforeAll, an
 * error after the tests) counts as one failure, as does every unhandled error: its tests are
 * reported as skipped, and "0 failed" would be a lie.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let broken = 0;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      const suites = [...mod.children.allSuites()].filter(failedOutsideTests).length;
      broken += suites > 0 ? suites : failedOutsideTests(mod) ? 1 : 0;
    }
    broken += unhandledErrors.length;
    const extra = broken > 0 ? ` (${broken} outside a test: a file, suite or hook failed)` : '';
    process.stdout.write(`\ntests: ${passed} passed, ${failed + broken} failed, ${skipped} skipped${extra}\n`);
  }
}

/** Failed (or carries errors) while none of its own tests failed: only then is it counted itself. */
function failedOutsideTests(unit: TestModule | TestSuite): boolean {
  const failedState = unit.state() === 'failed' || unit.errors().length > 0;
  if (!failedState) return false;
  for (const test of unit.children.allTests()) if (test.result().state === 'failed') return false;
  return true;
}
