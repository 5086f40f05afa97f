import { describe, expect, it } from 'vitest';
import { createOpenApiDocument } from './create-openapi-document.ts';
import { renderApiReference } from './render-api-reference.ts';
import { renderMarkdownReference } from './render-markdown-reference.ts';

const document = createOpenApiDocument({ cookie: true, health: true });

/** What a reader must find on either page: anchors, `METHOD path`, statuses, error codes, schemas. */
function facts(): string[] {
  const doc = document as {
    paths: Record<
      string,
      Record<string, { responses: Record<string, { content?: Record<string, { examples?: object }> }> }>
    >;
    components: { schemas: Record<string, unknown> };
  };
  const out: string[] = Object.keys(doc.components.schemas);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      out.push(method.toUpperCase(), path);
      for (const [status, response] of Object.entries(op.responses)) {
        out.push(status);
        for (const c of Object.values(response.content ?? {})) out.push(...Object.keys(c.examples ?? {}));
      }
    }
  }
  return [...new Set(out)];
}

describe('renderApiReference and renderMarkdownReference', () => {
  it('show the same routes, statuses, error codes and schemas, from one walk', () => {
    const html = renderApiReference(document);
    const markdown = renderMarkdownReference(document);
    for (const fact of facts()) {
      expect(html, fact).toContain(fact);
      expect(markdown, fact).toContain(fact);
    }
    // The same operations, in the same order, under the same anchors.
    const anchors = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]);
    const htmlAnchors = anchors(html, /<section id="([^"]+)">/g);
    expect(htmlAnchors).toEqual(anchors(markdown, /<a id="([^"]+)"><\/a>/g));
    expect(htmlAnchors).toContain('delete-sessions-id');
    expect(htmlAnchors).toContain('schema-tokenresponse');
  });

  it('keeps a Markdown table intact whatever the text in its cells', () => {
    const markdown = renderMarkdownReference({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: { '/x': { get: { summary: 'a | b\nc', responses: { 200: { description: 'ok | fine' } } } } },
    });
    expect(markdown).toContain('| GET | [`/x`](#get-x) | a \\| b c | none |');
    expect(markdown).toContain('| 200 | ok \\| fine |');
    expect(markdown.startsWith('# t\n\nt 1, OpenAPI 3.1.0.\n')).toBe(true);
  });
});
