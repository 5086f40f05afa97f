#!/usr/bin/env node
// Development entry of the `kit` CLI inside the repository: runs the TypeScript source through tsx.
// The published package points `bin` at the built `dist/cli/kit.js` instead
// (`publishConfig.bin` in package.json).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const tsx = require.resolve('tsx/cli');
const entry = fileURLToPath(new URL('../src/cli/kit.ts', import.meta.url));
const result = spawnSync(process.execPath, [tsx, entry, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
