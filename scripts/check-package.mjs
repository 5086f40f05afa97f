#!/usr/bin/env node
// Packs the package in the current directory as it would be published (pnpm applies
// `publishConfig`, so exports point at dist/), then runs publint and @arethetypeswrong/cli on the
// tarball. Run after `pnpm build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = mkdtempSync(join(tmpdir(), 'kit-pack-'));
try {
  execFileSync('pnpm', ['pack', '--pack-destination', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = join(
    out,
    readdirSync(out).find((f) => f.endsWith('.tgz')),
  );
  execFileSync('pnpm', ['exec', 'publint', 'run', tarball, '--strict'], { stdio: 'inherit' });
  // ESM-only packages: the CommonJS-require and node10 resolutions are out of scope by design.
  execFileSync('pnpm', ['exec', 'attw', tarball, '--profile', 'esm-only'], { stdio: 'inherit' });
} finally {
  rmSync(out, { recursive: true, force: true });
}
