#!/usr/bin/env node
// The size rules of the packages' sources (docs/architecture.md, "Conventions"):
//
// - no file under packages/*/src longer than 400 lines, tests included;
// - no function in a source file (not a test) longer than 120 lines.
//
// A function is anything TypeScript parses as one (declarations, methods, arrows, function
// expressions, accessors), measured from its first line to its last. A nested function counts
// towards its parent too: a 300-line factory made of small closures is still a 300-line function.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 120;

const root = resolve(fileURLToPath(import.meta.url), '../..');

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* sourceFiles(path);
    } else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      yield path;
    }
  }
}

const isTest = (path) => /\.test(-d)?\.tsx?$/.test(path);

/** The rule violations in one file's text, as sentences naming the file and line. */
export function checkSource(name, text) {
  const problems = [];
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_FILE_LINES) {
    problems.push(`${name}: ${lines} lines (at most ${MAX_FILE_LINES}); split it by concern.`);
  }
  if (isTest(name)) return problems;
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const length = end - start + 1;
      if (length > MAX_FUNCTION_LINES) {
        const label = node.name ? node.name.getText(file) : 'an anonymous function';
        problems.push(
          `${name}:${start}: ${label} is ${length} lines (at most ${MAX_FUNCTION_LINES}); split it.`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const packages = join(root, 'packages');
  const problems = [];
  for (const pkg of readdirSync(packages, { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    const src = join(packages, pkg.name, 'src');
    let files;
    try {
      files = [...sourceFiles(src)];
    } catch {
      continue;
    }
    for (const path of files) {
      problems.push(...checkSource(relative(root, path), readFileSync(path, 'utf8')));
    }
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
}
