import {
  type FieldsView,
  type OperationView,
  type TypeView,
  walkOpenApiDocument,
} from './reference-model.ts';

/**
 * How one output format writes the pieces of a reference. The layout (what is shown, in which
 * order) is {@link renderReference}'s alone, so the HTML page and the Markdown reference show the
 * same things; a format only decides how they look. Every method returns text of the format, and
 * escapes what it is given unless it says it takes formatted text. @internal
 */
export interface ReferenceFormat {
  /** Prose from the document (Markdown code spans allowed). */
  text(value: string): string;
  /** Prose from the document, in a table cell. */
  cell(value: string): string;
  /** Literal text (a name, a status, a media type's place). */
  plain(value: string): string;
  code(value: string): string;
  /** A link to an anchor of the page; `label` is formatted text. */
  link(label: string, anchor: string): string;
  /** Between the alternatives of a type (`"a" | "b"`). */
  or: string;
  /**
   * `content` is formatted text; `anchor`, when given, is the heading's own slug as Markdown
   * renderers make it (HTML sets it as the id).
   */
  heading(level: 1 | 2 | 3, content: string, anchor?: string): string;
  operationHeading(method: string, path: string): string;
  status(value: string): string;
  /** `content` is formatted text. */
  paragraph(content: string): string;
  /** Cells are formatted text. */
  table(head: string[], rows: string[][]): string;
  /** Items are formatted text. */
  list(items: string[]): string;
  /** Blocks with an anchor to link to. */
  section(anchor: string, blocks: string[]): string;
  /** The page's blocks into one text. */
  join(blocks: string[]): string;
}

/** What precedes the table of routes. */
export interface ReferenceIntro {
  /** Formatted blocks replacing the title heading. */
  heading?: string[];
  /** Formatted blocks between the title line and the table of routes. */
  intro?: string[];
}

/**
 * The reference of an OpenAPI document in `format`: a title line, a table of the routes, each
 * route's parameters, body, responses (headers, body, error codes) and authentication, the named
 * schemas and the security schemes. @internal
 */
export function renderReference(
  document: Record<string, unknown>,
  f: ReferenceFormat,
  { heading, intro = [] }: ReferenceIntro = {},
): string {
  const model = walkOpenApiDocument(document);
  const type = (view: TypeView | undefined): string => typeText(view, f);
  const auth = (security: string[]) =>
    security.length === 0
      ? f.plain('none')
      : security.map((name) => f.link(f.plain(name), 'authentication')).join(', ');
  const blocks: string[] = [
    ...(heading ?? [f.heading(1, f.plain(model.title ?? 'API reference'))]),
    f.paragraph(
      f.text(
        [
          `${[model.title, model.version].filter(Boolean).join(' ')}, OpenAPI ${model.openapi ?? '(no version)'}.`,
          model.description,
        ]
          .filter(Boolean)
          .join(' '),
      ),
    ),
    ...intro,
    f.table(
      ['method', 'path', 'summary', 'authentication'],
      model.operations.map((op) => [
        f.plain(op.method.toUpperCase()),
        f.link(f.code(op.path), op.anchor),
        f.cell(op.summary ?? ''),
        auth(op.security),
      ]),
    ),
  ];
  for (const op of model.operations) blocks.push(f.section(op.anchor, operationBlocks(op, f, type, auth)));
  if (model.schemas.length > 0) {
    blocks.push(f.heading(2, f.plain('Schemas')));
    for (const s of model.schemas) {
      blocks.push(f.section(s.anchor, [f.heading(3, f.plain(s.name)), ...fieldBlocks(s.fields, f, type)]));
    }
  }
  if (model.securitySchemes.length > 0) {
    const items = model.securitySchemes.map(
      (s) =>
        `${f.code(s.name)}: ${f.plain('HTTP')} ${f.code(s.scheme ?? '')}${s.bearerFormat ? f.plain(` (${s.bearerFormat})`) : ''}${s.description ? `: ${f.text(s.description)}` : ''}`,
    );
    blocks.push(f.heading(2, f.plain('Authentication'), 'authentication'), f.list(items));
  }
  return f.join(blocks);
}

function operationBlocks(
  op: OperationView,
  f: ReferenceFormat,
  type: (view: TypeView | undefined) => string,
  auth: (security: string[]) => string,
): string[] {
  const blocks = [f.operationHeading(op.method, op.path)];
  if (op.summary) blocks.push(f.paragraph(f.text(`${op.summary}.`)));
  if (op.description) blocks.push(f.paragraph(f.text(op.description)));
  blocks.push(f.paragraph(`${f.plain('Authentication: ')}${auth(op.security)}${f.plain('.')}`));
  if (op.parameters.length > 0) {
    blocks.push(
      f.heading(3, f.plain('Parameters')),
      f.table(
        ['name', 'in', 'required', 'type', 'description'],
        op.parameters.map((p) => [
          f.code(p.name),
          f.plain(p.in),
          f.plain(p.required ? 'yes' : 'no'),
          type(p.type),
          f.cell(p.description),
        ]),
      ),
    );
  }
  if (op.body) {
    const { required, mediaTypes, schemas } = op.body;
    blocks.push(
      f.heading(3, f.plain('Request body')),
      f.paragraph(
        `${f.plain(required ? 'Required, as ' : 'Optional, as ')}${mediaTypes.map(f.code).join(f.plain(' or '))}${f.plain('.')}`,
      ),
    );
    for (const { mediaType, fields } of schemas) {
      if (mediaType !== undefined) blocks.push(f.paragraph(`${f.code(mediaType)}${f.plain(':')}`));
      blocks.push(...fieldBlocks(fields, f, type));
    }
  }
  blocks.push(
    f.heading(3, f.plain('Responses')),
    f.table(
      ['status', 'description', 'headers', 'body', 'error codes'],
      op.responses.map((r) => [
        f.status(r.status),
        f.cell(r.description),
        r.headers.map((h) => f.code(h.value === undefined ? h.name : `${h.name}: ${h.value}`)).join(', '),
        r.bodies.map((b) => `${type(b.type)} (${f.code(b.mediaType)})`).join(', '),
        r.codes.map(f.code).join(', '),
      ]),
    ),
  );
  return blocks;
}

function fieldBlocks(
  view: FieldsView,
  f: ReferenceFormat,
  type: (view: TypeView | undefined) => string,
): string[] {
  if (!view.fields) return [f.paragraph(type(view.type))];
  return [
    ...(view.ref ? [f.paragraph(`${f.plain('Schema: ')}${type(view.type)}${f.plain('.')}`)] : []),
    f.table(
      ['field', 'type', 'required', 'description'],
      view.fields.map((field) => [
        f.code(field.name),
        type(field.type),
        f.plain(field.required ? 'yes' : 'no'),
        f.cell(field.description),
      ]),
    ),
  ];
}

function typeText(view: TypeView | undefined, f: ReferenceFormat): string {
  if (!view) return '';
  switch (view.kind) {
    case 'ref':
      return f.link(f.plain(view.name), view.anchor);
    case 'values':
      return view.values.map(f.code).join(f.or);
    case 'array':
      return `${view.items ? typeText(view.items, f) : f.plain('any')}${f.plain('[]')}`;
    case 'plain':
      return view.names.map(f.plain).join(f.or) + (view.format ? f.plain(` (${view.format})`) : '');
  }
}
