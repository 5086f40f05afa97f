import { defineConfig } from 'vitest/config';

// One run for the whole repository: every package contributes a project with its own
// `vitest.config.ts` (defineProject), and PostgreSQL is started once for all of them.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'examples/*', 'bench'],
    globalSetup: ['./packages/test-support/postgres/global-setup.ts'],
  },
});
