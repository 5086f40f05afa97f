import { defineConfig } from 'tsdown';

/**
 * The memory bench's subjects (src/memory/measure.ts), built to JavaScript so that Node alone runs
 * them, as `pnpm demo` runs the demo: no TypeScript loader in the memory they are measured for. The
 * workspace packages (@kit/*, TypeScript sources) and jose are bundled; the bench's own dependencies
 * stay imports, resolved from bench/node_modules.
 */
export default defineConfig({
  entry: {
    host: 'src/memory/host.ts',
    'orm-floor': 'src/memory/orm-floor.ts',
    'bare-server': 'src/bare-server.ts',
  },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: false,
  clean: true,
  outDir: 'dist/memory',
  deps: { alwaysBundle: [/^@kit\//, 'jose'], neverBundle: [/^node:/], onlyBundle: false },
});
