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
