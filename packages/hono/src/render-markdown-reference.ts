import { type ReferenceFormat, renderReference } from './openapi/render-reference.ts';

/**
 * Options of {@link renderMarkdownReference}.
 */
export interface MarkdownReferenceOptions {
  /** Blocks (paragraphs, headings) in place of the title heading. @default `# <title>` */
  heading?: string[];
  /** Blocks between the title line and the table of routes. @default none */
  intro?: string[];
}

/** Text fit for one table cell: pipes escaped, line breaks folded. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

const markdown: ReferenceFormat = {
  // The document's prose is Markdown already.
  text: (value) => value,
  cell,
  plain: (value) => value,
  code: (value) => `\`${value}\``,
  link: (label, anchor) => `[${label}](#${anchor})`,
  or: ' \\| ',
  heading: (level, content) => `${'#'.repeat(level)} ${content}`,
  operationHeading: (method, path) => `## \`${method.toUpperCase()} ${path}\``,
  status: (value) => value,
  paragraph: (content) => content,
  table: (head, rows) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n'),
  list: (items) => items.map((item) => `- ${item}`).join('\n'),
  section: (anchor, blocks) => [`<a id="${anchor}"></a>`, ...blocks].join('\n\n'),
  join: (blocks) =>
    `${blocks
      .join('\n\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd()}\n`,
};

/**
 * Renders an OpenAPI document (such as {@link createOpenApiDocument}'s) as one Markdown page: a
 * table of the routes, then each route's parameters, body fields, responses (headers, body, error
 * codes) and authentication, the named schemas and the security schemes. The layout is the one
 * {@link renderApiReference} renders as HTML: both pages show the same things.
 *
 * @example
 * ```ts
 * import { createOpenApiDocument, renderMarkdownReference } from '@kit/hono';
 * import { writeFile } from 'node:fs/promises';
 *
 * await writeFile('docs/http-api.md', renderMarkdownReference(createOpenApiDocument({ cookie: true })));
 * ```
 */
export function renderMarkdownReference(
  document: Record<string, unknown>,
  options: MarkdownReferenceOptions = {},
): string {
  return renderReference(document, markdown, options);
}
