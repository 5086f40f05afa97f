import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The repository's Markdown pages, relative to `root`, sorted: everything under `docs/`, the root
 * README, and the README of each package, app and example. The docs checks read this one list.
 */
export function markdownFiles(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  files.push('README.md');
  for (const parent of ['packages', 'apps', 'examples']) {
    if (!existsSync(join(root, parent))) continue;
    for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
      const readme = join(parent, entry.name, 'README.md');
      if (entry.isDirectory() && existsSync(join(root, readme))) files.push(readme);
    }
  }
  return files.sort();
}

/**
 * The fenced code blocks of one Markdown text, in order: `lang` (the info string's first word),
 * `line` (1-based, of the opening fence), `code` (the indentation of the fence removed), and
 * `marker`, the text of a `<!-- name: ... -->` comment that comes right before the block (blank
 * lines allowed between them), with its line. `stray` lists the markers that no block follows.
 */
export function fencedBlocks(markdown, name) {
  const blocks = [];
  const stray = [];
  const markerPattern = new RegExp(`^<!--\\s*${name}:\\s*(.*?)\\s*-->\\s*$`);
  const lines = markdown.split('\n');
  let marker;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const comment = markerPattern.exec(line);
    if (comment) {
      if (marker) stray.push(marker);
      marker = { line: i + 1, text: comment[1] };
      continue;
    }
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence) {
      const start = i + 1;
      const body = [];
      for (i++; i < lines.length && !lines[i].trimStart().startsWith(fence[2]); i++) {
        body.push(lines[i].slice(fence[1].length));
      }
      blocks.push({ lang: fence[3], line: start, code: body.join('\n'), marker });
      marker = undefined;
      continue;
    }
    if (line.trim() !== '' && marker) {
      stray.push(marker);
      marker = undefined;
    }
  }
  if (marker) stray.push(marker);
  return { blocks, stray };
}
