const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (value: unknown) => String(value).replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
/** Escaped text with Markdown code spans (`like this`) shown as code; everything else stays text. */
const prose = (value: unknown) => escapeHtml(value).replace(/`([^`]+)`/g, '<code>$1</code>');

type Operation = {
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string }>;
};

/**
 * Renders an OpenAPI document (such as {@link createOpenApiDocument}'s) as one self-contained
 * HTML page: no scripts, no external assets, every value HTML-escaped. Good enough to serve as
 * the API reference of an app without a documentation toolchain.
 *
 * Exported from `@kit/hono`.
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
  const info = (document.info ?? {}) as { title?: string; version?: string; description?: string };
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>;
  const sections: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters ?? [])
        .map(
          (p) =>
            `<li><code>${escapeHtml(p.name)}</code> (${escapeHtml(p.in)}${p.required ? ', required' : ''})${p.description ? `: ${escapeHtml(p.description)}` : ''}</li>`,
        )
        .join('');
      const bodies = Object.keys(op.requestBody?.content ?? {})
        .map((type) => `<code>${escapeHtml(type)}</code>`)
        .join(', ');
      const responses = Object.entries(op.responses ?? {})
        .map(
          ([status, r]) =>
            `<tr><td class="status s${escapeHtml(status[0])}">${escapeHtml(status)}</td><td>${prose(r.description ?? '')}</td></tr>`,
        )
        .join('');
      sections.push(`<section>
  <h2><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code>${op.security ? ' <span class="lock">Bearer</span>' : ''}</h2>
  <p>${prose(op.summary ?? '')}</p>${op.description ? `\n  <p class="desc">${prose(op.description)}</p>` : ''}
  ${params ? `<h3>Parameters</h3><ul>${params}</ul>` : ''}
  ${bodies ? `<h3>Body</h3><p>${bodies}</p>` : ''}
  <h3>Responses</h3><table>${responses}</table>
</section>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title ?? 'API reference')}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f6f7fb;color:#1d2433}
main{max-width:900px;margin:0 auto;padding:32px 20px}
h1{margin:0 0 4px}section{background:#fff;border:1px solid #e3e6ee;border-radius:10px;padding:16px 20px;margin:16px 0}
h2{font-size:17px;margin:0 0 6px}h3{font-size:13px;text-transform:uppercase;color:#667;margin:14px 0 4px}
.method{display:inline-block;min-width:64px;text-align:center;border-radius:6px;color:#fff;font-size:12px;padding:2px 6px}
.get{background:#2f7de1}.post{background:#1f9d55}.delete{background:#d64545}.put,.patch{background:#b7791f}
.lock{font-size:11px;border:1px solid #99a;border-radius:4px;padding:1px 5px;color:#556}
table{border-collapse:collapse}td{padding:3px 10px 3px 0;vertical-align:top}.status{font-weight:600}
.s2{color:#1f9d55}.s4{color:#b7791f}.s5{color:#d64545}.desc{color:#445}code{font-size:14px}
</style></head>
<body><main>
<h1>${escapeHtml(info.title ?? 'API reference')}</h1>
<p>${prose(info.description ?? '')} Version ${escapeHtml(info.version ?? '')}. OpenAPI ${escapeHtml(document.openapi ?? '')}.</p>
${sections.join('\n')}
</main></body></html>
`;
}
