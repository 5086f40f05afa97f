import { expect, it } from 'vitest';

// CI runs the suite once with KIT_FAILING_TEST=1 and requires a non-zero exit: a dependency once
// replaced a failing run's exit code with 0 (see packages/embedded-postgres/src/install-dir.ts).
it.runIf(process.env.KIT_FAILING_TEST === '1')('fails on purpose to prove failures fail the run', () => {
  expect('this test').toBe('failing');
});
