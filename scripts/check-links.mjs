#!/usr/bin/env node
/**
 * Checks the relative links of the documentation: docs/**\/*.md, README.md and the READMEs of
 * packages/*, apps/* and examples/*. Every relative link must name a file or directory of the
 * repository that git does not ignore, and every `#anchor` must name a heading of the target page
 * (by GitHub's slugs, `-1`, `-2`... for repeated headings) or an HTML `id`/`name` in it.
 * External links (http:, https:, mailto:) are not fetched.
 *
 * Fails with the list of broken links, each at its file and line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownFiles } from './markdown-files.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The text with fenced code blocks and code spans blanked out, lines kept where they were. */
function withoutCode(markdown) {
  const lines = markdown.split('\n');
  let fence;
  return lines
    .map((line) => {
      const opening = /^\s*(`{3,}|~{3,})/.exec(line);
      if (fence) {
        if (opening && opening[1][0] === fence[0] && opening[1].length >= fence.length) fence = undefined;
        return '';
      }
      if (opening) {
        fence = opening[1];
        return '';
      }
      return line.replace(/(`+)(?:(?!\1).)+?\1/g, (span) => ' '.repeat(span.length));
    })
    .join('\n');
}

/** GitHub's anchor for a heading's text. */
function slug(heading) {
  const text = heading
    .replace(/\s+#+\s*$/, '') // closing hashes
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]*>/g, '') // HTML tags
    .replace(/(^|\W)[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?=\W|$)/g, '$1') // emphasis markers
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

const anchorCache = new Map();

/** Every anchor a Markdown page offers: its headings' slugs and its HTML ids and names. */
function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const anchors = new Set();
  const seen = new Map();
  const raw = readFileSync(file, 'utf8').split('\n');
  const text = withoutCode(raw.join('\n')).split('\n');
  const add = (heading) => {
    const base = slug(heading.replace(/`/g, ''));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  };
  text.forEach((line, index) => {
    // Headings are found in the text without code (no `#` comment of a code block counts) and read
    // from the raw line, whose code spans are part of the slug.
    if (/^ {0,3}#{1,6}\s/.test(line)) add(raw[index].replace(/^ {0,3}#{1,6}\s+/, ''));
    else if (/^ {0,3}(=+|-+)\s*$/.test(line) && index > 0 && /^ {0,3}[^\s|>#*+-]/.test(text[index - 1])) {
      add(raw[index - 1].trim()); // a setext heading: text underlined with === or ---
    }
    for (const match of line.matchAll(/\b(?:id|name)\s*=\s*["']([^"']+)["']/g)) anchors.add(match[1]);
  });
  anchorCache.set(file, anchors);
  return anchors;
}

/** The links of a Markdown text, with their line numbers. */
function linksOf(markdown) {
  const links = [];
  const lines = withoutCode(markdown).split('\n');
  lines.forEach((line, index) => {
    const patterns = [
      /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g, // [text](target)
      /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g, // [label]: target
      /<(?:a|img)\s[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']/g, // <a href>, <img src>
    ];
    for (const pattern of patterns) {
      for (const match of line.matchAll(pattern)) links.push({ target: match[1], line: index + 1 });
    }
  });
  return links;
}

function main() {
  const problems = [];
  const toCheckIgnored = [];
  let count = 0;
  for (const file of markdownFiles(root)) {
    const absolute = join(root, file);
    for (const { target, line } of linksOf(readFileSync(absolute, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // external
      count++;
      const where = `${file}:${line}`;
      const [pathPart, anchor] = target.split('#', 2);
      let path;
      try {
        path = decodeURIComponent(pathPart);
      } catch {
        problems.push(`${where}: ${target}: not a valid URL`);
        continue;
      }
      const resolved =
        path === '' ? absolute : path.startsWith('/') ? join(root, path) : resolve(dirname(absolute), path);
      const inRepo = relative(root, resolved);
      if (inRepo.startsWith('..') || inRepo.startsWith(sep)) {
        problems.push(`${where}: ${target}: points outside the repository`);
        continue;
      }
      if (!existsSync(resolved)) {
        problems.push(`${where}: ${target}: no such file or directory (${inRepo})`);
        continue;
      }
      if (inRepo !== '') toCheckIgnored.push({ where, target, path: inRepo });
      if (anchor === undefined || anchor === '') continue;
      if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
        // Line anchors (#L10) on source files are GitHub's; anything else cannot be checked.
        if (!/^L\d+(-L\d+)?$/.test(anchor))
          problems.push(`${where}: ${target}: #${anchor} on a file that is not Markdown`);
        continue;
      }
      if (!anchorsOf(resolved).has(anchor)) {
        problems.push(`${where}: ${target}: no heading or id "${anchor}" in ${relative(root, resolved)}`);
      }
    }
  }

  // A link to an ignored file works here and is broken on GitHub and in a fresh clone.
  const ignored = spawnSync('git', ['check-ignore', '--no-index', '--stdin'], {
    cwd: root,
    input: toCheckIgnored.map((link) => link.path).join('\n'),
    encoding: 'utf8',
  });
  const ignoredPaths = new Set(ignored.stdout.split('\n').filter(Boolean));
  for (const link of toCheckIgnored) {
    if (ignoredPaths.has(link.path))
      problems.push(`${link.where}: ${link.target}: ${link.path} is ignored by git`);
  }

  if (problems.length > 0) {
    console.error(`Broken links in the docs (${problems.length}):\n`);
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.log(`docs links: ${count} relative links in ${markdownFiles(root).length} files resolve`);
}

main();
