import { expect, it } from 'vitest';

// CI runs this file once with KIT_FAILING_TEST=1 and DATABASE_URL unset, so that global-setup.ts
// starts the embedded PostgreSQL, and requires a non-zero exit: a dependency of the embedded
// PostgreSQL once replaced a failing run's exit code with 0 (its exit hook called process.exit(0)).
it.runIf(process.env.KIT_FAILING_TEST === '1')('fails on purpose to prove failures fail the run', () => {
  expect('this test').toBe('failing');
});
