import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'verify/index': 'src/verify/index.ts',
    'verify/node': 'src/verify/node.ts',
    'mikro-orm/index': 'src/mikro-orm/index.ts',
    'redis/index': 'src/redis/index.ts',
    'testing/index': 'src/testing/index.ts',
    'cli/kit': 'src/cli/kit.ts',
  },
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  clean: true,
  external: [/^node:/, /^@mikro-orm\//, 'jose', 'vitest', 'pg', 'redis'],
});
