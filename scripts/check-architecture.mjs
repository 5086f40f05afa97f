#!/usr/bin/env node
// The import rules of the repository's layout, checked on every source file git knows (tracked, or
// new and not ignored). Run by `pnpm lint`.
//
// 1. No relative import leaves its workspace package: code in one package reaches another only by
//    its package name (`@kit/core`, `@kit/core/internal`, `@kit/test-support/...`), never by a path
//    into its `src/` or `test/`; code outside every package (scripts, the root config) does not reach
//    into one by a path either.
// 2. No file under a `src/` folder imports vitest, except tests (`*.test.ts`, `*.test-d.ts`) and
//    the conformance suites `@kit/core/testing` ships (`packages/core/src/testing/`). Test support
//    lives in `packages/test-support`.
//
// Imports are read with TypeScript's own scanner (static imports and exports, `import()`,
// `require()`), so comments and strings that merely look like imports do not count.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = /\.(?:[cm]?[jt]s|tsx)$/;
const TEST = /\.test(?:-d)?\.[cm]?[jt]sx?$/;
const VITEST = /^(?:vitest|@vitest\/[^/]+)(?:\/|$)/;
const SHIPPED_SUITES = 'packages/core/src/testing/';

/** The workspace packages' folders (relative, `/`-separated), from pnpm-workspace.yaml. */
function workspacePackages() {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [];
  let inPackages = false;
  for (const line of yaml.split('\n')) {
    if (/^\S/.test(line)) inPackages = line.startsWith('packages:');
    const item = inPackages && line.match(/^\s+-\s+["']?([^"'\s]+)["']?\s*$/);
    if (item) globs.push(item[1]);
  }
  const folders = [];
  for (const glob of globs) {
    if (!glob.endsWith('/*')) {
      folders.push(glob);
      continue;
    }
    const parent = glob.slice(0, -2);
    const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', parent], {
      cwd: root,
      encoding: 'utf8',
    });
    for (const file of listed.split('\n')) {
      const match = file.match(new RegExp(`^${parent}/([^/]+)/package\\.json$`));
      if (match) folders.push(`${parent}/${match[1]}`);
    }
  }
  return folders.filter((folder) => existsSync(join(root, folder, 'package.json')));
}

const packages = workspacePackages().sort((a, b) => b.length - a.length);
const packageOf = (path) => packages.find((folder) => path === folder || path.startsWith(`${folder}/`));
const nameOf = (folder) => JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')).name;

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\0')
  .filter(
    (file) => SOURCE.test(file) && !file.split('/').includes('node_modules') && existsSync(join(root, file)),
  );

const problems = [];
for (const file of files) {
  const text = readFileSync(join(root, file), 'utf8');
  const lineOf = (pos) => text.slice(0, pos).split('\n').length;
  const home = packageOf(file);
  const underSrc = file.split('/').slice(0, -1).includes('src');
  for (const { fileName: specifier, pos } of ts.preProcessFile(text, true, true).importedFiles) {
    const where = `${file}:${lineOf(pos)}`;
    if (specifier.startsWith('.')) {
      const target = relative(root, resolve(root, dirname(file), specifier))
        .split(sep)
        .join('/');
      const owner = packageOf(target);
      if (owner !== home && (owner !== undefined || home !== undefined)) {
        const into = owner ? `into ${nameOf(owner)} (${target})` : `out of ${nameOf(home)} (${target})`;
        const instead = owner
          ? `; import ${nameOf(owner)} or one of its package.json exports instead`
          : '; move what it needs into a package and import that by name';
        problems.push(`${where}: '${specifier}' reaches ${into} by a relative path${instead}`);
      }
    }
    if (VITEST.test(specifier) && underSrc && !TEST.test(file) && !file.startsWith(SHIPPED_SUITES)) {
      problems.push(
        `${where}: '${specifier}' is imported under src/ by a file that is not a test; test support belongs in packages/test-support`,
      );
    }
  }
}

if (problems.length > 0) {
  console.error(
    `check-architecture: ${problems.length} import(s) break the layout rules:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log(
  `check-architecture: ${files.length} files, no import crosses a package by path, no vitest in src/`,
);
