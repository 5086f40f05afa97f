#!/usr/bin/env node
/**
 * Typechecks every TypeScript code block of the documentation: ```ts and ```typescript blocks of
 * docs/**\/*.md, README.md and the packages' and examples' READMEs.
 *
 * Each block becomes a module of its own in `.docs-check/` (gitignored), compiled by one
 * `tsc --noEmit` with the repository's strict settings, where `@kit/core`, `@kit/hono`, `hono` and
 * `@mikro-orm/*` resolve as they do for an app. Errors are reported at their line in the Markdown.
 *
 * Generated pages, whose first line is a `<!-- Generated ... -->` comment (the API reference in
 * docs/api/), are left out: their code comes from the TSDoc of the sources.
 *
 * Conventions for the blocks:
 *
 * - A block may use, without declaring them, the names every page assumes the reader already has:
 *   `kit`, `orm`, `app`, `user`, and the others declared in GLOBALS below. A block that declares
 *   one of them itself (`const kit = await createAuthKit(...)`) uses its own.
 * - A block that cannot compile on its own on purpose (pseudo-code, a shape) is preceded by
 *   `<!-- ts-check: skip: <why> -->`. Keep these rare: a fragment is better fixed by declaring what it
 *   uses.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fencedBlocks, markdownFiles } from './markdown-files.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.docs-check');

/**
 * What the documentation's snippets take as given: the kit and the ORM made as in the sessions
 * guide, a Hono app, the user who just logged in, the request being served, and the host's own
 * functions the snippets call.
 */
const GLOBALS = `import type { AuthKit } from '@kit/core';
import type { KitAuthEnv } from '@kit/hono';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Hono } from 'hono';

declare global {
  /** The kit, made by createAuthKit. */
  const kit: AuthKit;
  /** The kit's MikroORM instance, made by createKitOrm. */
  const orm: MikroORM;
  /** The host's Hono app. */
  const app: Hono<KitAuthEnv>;
  /** The user who just logged in. */
  const user: { id: string };
  const userId: string;
  const sessionId: string;
  const currentSessionId: string;
  const refreshToken: string;
  const accessToken: string;
  const token: string;
  const request: Request;
  const clientAddress: string | undefined;
  const userAgent: string | undefined;
  const ip: string | undefined;
  /** The host's own password check, given the login request's body or its two fields. */
  function checkPassword(input: unknown): Promise<{ id: string } | undefined>;
  function checkPassword(username: string, password: string): Promise<{ id: string } | undefined>;
  function yourPasswordCheck(input: unknown): Promise<{ id: string } | undefined>;
  /** Host-side reporting hooks used in the events examples. */
  function alert(message: string): void;
  function audit(sessionId: string, reason: string): void;
  /** An entity of the host's own, in the "already running MikroORM" example. */
  class User {
    id: string;
  }
  /** A store under test in the conformance-suite example. */
  function createMyStore(): import('@kit/core').SessionStore;
}
`;

/** The TypeScript blocks of one Markdown text, with the line of their first code line. */
function extractBlocks(markdown, file) {
  const blocks = [];
  const skips = [];
  const found = fencedBlocks(markdown, 'ts-check');
  const misplaced = (marker) =>
    new Error(`${file}:${marker.line}: a ts-check marker must come right before a ts block`);
  if (found.stray.length > 0) throw misplaced(found.stray[0]);
  for (const block of found.blocks) {
    const ts = block.lang === 'ts' || block.lang === 'typescript';
    if (block.marker) {
      if (!ts) throw misplaced(block.marker);
      const reason = /^skip:\s*(\S.*)$/.exec(block.marker.text);
      if (!reason) {
        throw new Error(`${file}:${block.marker.line}: write the marker as <!-- ts-check: skip: <why> -->`);
      }
      skips.push({ file, line: block.line, reason: reason[1] });
    } else if (ts) {
      blocks.push({ file, line: block.line + 1, code: block.code });
    }
  }
  return { blocks, skips };
}

function main() {
  const started = Date.now();
  const blocks = [];
  const skips = [];
  const generated = [];
  for (const file of markdownFiles(root)) {
    const text = readFileSync(join(root, file), 'utf8');
    // Generated pages (the API reference) copy their code from the sources, which `pnpm typecheck`
    // compiles; their signature blocks are not programs.
    if (/^<!--\s*Generated\b/.test(text)) {
      generated.push(file);
      continue;
    }
    const found = extractBlocks(text, file);
    blocks.push(...found.blocks);
    skips.push(...found.skips);
  }

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir);
  writeFileSync(join(outDir, 'globals.d.ts'), GLOBALS);
  writeFileSync(
    join(outDir, 'tsconfig.json'),
    `${JSON.stringify(
      {
        extends: '../tsconfig.base.json',
        compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
        include: ['*.ts'],
      },
      null,
      2,
    )}\n`,
  );
  const sources = new Map();
  for (const block of blocks) {
    const name = `${block.file.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '_')}_L${block.line}.ts`;
    sources.set(name, block);
    // `export {}` makes every block a module: its names are its own, and top-level await works.
    writeFileSync(join(outDir, name), `${block.code}\nexport {};\n`);
  }

  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(outDir, 'tsconfig.json'), '--pretty', 'false'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const errors = [];
  for (const line of `${result.stdout}${result.stderr}`.split('\n')) {
    if (!line.trim()) continue;
    const match = /^(.+?)\((\d+),(\d+)\): (error TS\d+: .*)$/.exec(line);
    const block = match && sources.get(relative(outDir, join(root, match[1])));
    if (block) {
      errors.push(`${block.file}:${block.line + Number(match[2]) - 1}:${match[3]} ${match[4]}`);
    } else {
      errors.push(line);
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0 || errors.length > 0) {
    console.error(`TypeScript blocks of the docs that do not compile (${seconds} s):\n`);
    for (const error of errors) console.error(`  ${error}`);
    console.error(
      '\nFix the block, declare what a fragment uses (see GLOBALS in scripts/check-docs-code.mjs), or, for a block that cannot compile on purpose, precede it with <!-- ts-check: skip: <why> -->.',
    );
    process.exit(1);
  }
  const files = new Set(blocks.map((block) => block.file)).size;
  console.log(`docs code: ${blocks.length} TypeScript blocks in ${files} files compile (${seconds} s)`);
  for (const skip of skips) console.log(`  skipped ${skip.file}:${skip.line}: ${skip.reason}`);
  if (generated.length > 0)
    console.log(`  left out ${generated.length} generated pages (${generated[0]}, ...)`);
}

main();
