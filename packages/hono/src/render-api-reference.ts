import { type ReferenceFormat, renderReference } from './openapi/render-reference.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (value: unknown) => String(value).replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
/** Escaped text with Markdown code spans (`like this`) shown as code; everything else stays text. */
const prose = (value: string) => escapeHtml(value).replace(/`([^`]+)`/g, '<code>$1</code>');
const cells = (tag: 'th' | 'td', values: string[]) =>
  `<tr>${values.map((v) => `<${tag}>${v}</${tag}>`).join('')}</tr>`;

const html: ReferenceFormat = {
  text: prose,
  cell: prose,
  plain: escapeHtml,
  code: (value) => `<code>${escapeHtml(value)}</code>`,
  link: (label, anchor) => `<a href="#${escapeHtml(anchor)}">${label}</a>`,
  or: ' | ',
  heading: (level, content, anchor) =>
    `<h${level}${anchor ? ` id="${escapeHtml(anchor)}"` : ''}>${content}</h${level}>`,
  operationHeading: (method, path) =>
    `<h2><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h2>`,
  status: (value) => `<span class="status s${escapeHtml(value[0])}">${escapeHtml(value)}</span>`,
  paragraph: (content) => (content === '' ? '' : `<p>${content}</p>`),
  table: (head, rows) => `<table>${cells('th', head)}${rows.map((r) => cells('td', r)).join('')}</table>`,
  list: (items) => `<ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul>`,
  section: (anchor, blocks) => `<section id="${escapeHtml(anchor)}">\n${blocks.join('\n')}\n</section>`,
  join: (blocks) => blocks.filter((b) => b !== '').join('\n'),
};

/**
 * Renders an OpenAPI document (such as {@link createOpenApiDocument}'s) as one self-contained
 * HTML page: no scripts, no external assets, every value HTML-escaped. Good enough to serve as
 * the API reference of an app without a documentation toolchain. It shows what
 * {@link renderMarkdownReference} shows (routes, parameters, body fields, responses with their
 * headers and error codes, schemas, authentication), from the same walk over the document.
 *
 * @example
 * ```ts
 * import { createOpenApiDocument, renderApiReference } from '@kit/hono';
 *
 * const page = renderApiReference(createOpenApiDocument());
 * app.get('/docs', (c) => c.html(page));
 * ```
 */
export function renderApiReference(document: Record<string, unknown>): string {
  const title = (document.info as { title?: unknown } | undefined)?.title ?? 'API reference';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f6f7fb;color:#1d2433}
main{max-width:900px;margin:0 auto;padding:32px 20px}
h1{margin:0 0 4px}section{background:#fff;border:1px solid #e3e6ee;border-radius:10px;padding:16px 20px;margin:16px 0}
h2{font-size:17px;margin:0 0 6px}h3{font-size:13px;text-transform:uppercase;color:#667;margin:14px 0 4px}
.method{display:inline-block;min-width:64px;text-align:center;border-radius:6px;color:#fff;font-size:12px;padding:2px 6px}
.get{background:#2f7de1}.post{background:#1f9d55}.delete{background:#d64545}.put,.patch{background:#b7791f}
table{border-collapse:collapse}th{text-align:left;font-size:12px;color:#667;padding:3px 10px 3px 0}td{padding:3px 10px 3px 0;vertical-align:top}.status{font-weight:600}
.s2{color:#1f9d55}.s3{color:#667}.s4{color:#b7791f}.s5{color:#d64545}code{font-size:14px}
</style></head>
<body><main>
${renderReference(document, html)}
</main></body></html>
`;
}
