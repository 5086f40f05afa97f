import { KIT_ERROR_HTTP } from '../error-table.ts';
import type {
  JsonSchema,
  OpenApiMediaType,
  OpenApiOperation,
  OpenApiPathItem,
  OpenApiResponse,
} from './openapi-types.ts';

/**
 * One walk over an OpenAPI document, into what a reference shows: the HTML page
 * ({@link renderApiReference}) and the Markdown reference ({@link renderMarkdownReference}) both
 * render this model and nothing else, so they cannot tell different stories. Text stays raw
 * (Markdown code spans and all); each renderer escapes it for its format. @internal
 */
export interface ReferenceModel {
  title: string | undefined;
  version: string | undefined;
  openapi: string | undefined;
  description: string | undefined;
  operations: OperationView[];
  schemas: { name: string; anchor: string; fields: FieldsView }[];
  securitySchemes: {
    name: string;
    scheme: string | undefined;
    bearerFormat: string | undefined;
    description: string | undefined;
  }[];
}

/** A schema's type as a reference shows it. */
export type TypeView =
  | { kind: 'ref'; name: string; anchor: string }
  /** A `const` (one value) or an `enum`, each value as JSON. */
  | { kind: 'values'; values: string[] }
  | { kind: 'array'; items: TypeView | undefined }
  | { kind: 'plain'; names: string[]; format: string | undefined };

/** A schema as a table of its fields, or, without properties, as its type alone. */
export interface FieldsView {
  type: TypeView | undefined;
  /** Whether the schema is a reference to a named one (the table is that schema's). */
  ref: boolean;
  fields: { name: string; type: TypeView | undefined; required: boolean; description: string }[] | undefined;
}

export interface OperationView {
  method: string;
  path: string;
  anchor: string;
  summary: string | undefined;
  description: string | undefined;
  /** Names of the security schemes it needs; empty when it needs none. */
  security: string[];
  parameters: {
    name: string;
    in: string;
    required: boolean;
    type: TypeView | undefined;
    description: string;
  }[];
  body:
    | {
        required: boolean;
        mediaTypes: string[];
        /** One entry without a media type when every media type has the same schema. */
        schemas: { mediaType: string | undefined; fields: FieldsView }[];
      }
    | undefined;
  responses: {
    status: string;
    description: string;
    headers: { name: string; value: string | undefined }[];
    bodies: { mediaType: string; type: TypeView | undefined }[];
    /** The values of `error` it can carry: its examples, and the known codes its text names. */
    codes: string[];
  }[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Walks `document` into the model both references render. @internal */
export function walkOpenApiDocument(document: Record<string, unknown>): ReferenceModel {
  const info = (document.info ?? {}) as { title?: string; version?: string; description?: string };
  const paths = (document.paths ?? {}) as Record<string, OpenApiPathItem>;
  const components = (document.components ?? {}) as {
    schemas?: Record<string, JsonSchema>;
    securitySchemes?: Record<string, { scheme?: string; bearerFormat?: string; description?: string }>;
  };
  const lookup = (ref: string) =>
    ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document) as
      | JsonSchema
      | undefined;
  const fieldsOf = (schema: JsonSchema | undefined): FieldsView => {
    const resolved = schema?.$ref ? lookup(schema.$ref) : schema;
    if (!resolved?.properties) return { type: typeOf(schema), ref: false, fields: undefined };
    const required = new Set(resolved.required ?? []);
    return {
      type: typeOf(schema),
      ref: schema?.$ref !== undefined,
      fields: Object.entries(resolved.properties).map(([name, property]) => ({
        name,
        type: typeOf(property),
        required: required.has(name),
        description: describe(property.description, property),
      })),
    };
  };
  const codes = knownCodes(paths);
  const operations: OperationView[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) operations.push(operationView(path, method, op, document, fieldsOf, codes));
    }
  }
  return {
    title: info.title,
    version: info.version,
    openapi: document.openapi as string | undefined,
    description: info.description,
    operations,
    schemas: Object.entries(components.schemas ?? {}).map(([name, schema]) => ({
      name,
      anchor: schemaAnchor(name),
      fields: fieldsOf(schema),
    })),
    securitySchemes: Object.entries(components.securitySchemes ?? {}).map(([name, s]) => ({
      name,
      scheme: s.scheme,
      bearerFormat: s.bearerFormat,
      description: s.description,
    })),
  };
}

function operationView(
  path: string,
  method: string,
  op: OpenApiOperation,
  document: Record<string, unknown>,
  fieldsOf: (schema: JsonSchema | undefined) => FieldsView,
  known: Set<string>,
): OperationView {
  const requirements = op.security ?? (document.security as OpenApiOperation['security']) ?? [];
  const content = op.requestBody?.content ?? {};
  const mediaTypes = Object.keys(content);
  const schemas = mediaTypes.map((t) => content[t]!.schema);
  const same = schemas.every((s) => JSON.stringify(s) === JSON.stringify(schemas[0]));
  return {
    method,
    path,
    anchor: `${method}-${path}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, ''),
    summary: op.summary,
    description: op.description,
    security: requirements.flatMap((r) => Object.keys(r)),
    parameters: (op.parameters ?? []).map((p) => ({
      name: p.name,
      in: p.in,
      required: p.required === true,
      type: typeOf(p.schema),
      description: describe(p.description, p.schema),
    })),
    body: op.requestBody
      ? {
          required: op.requestBody.required === true,
          mediaTypes,
          schemas: same
            ? [{ mediaType: undefined, fields: fieldsOf(schemas[0]) }]
            : mediaTypes.map((mediaType, i) => ({ mediaType, fields: fieldsOf(schemas[i]) })),
        }
      : undefined,
    responses: Object.entries(op.responses ?? {}).map(([status, response]) =>
      responseView(status, response, known),
    ),
  };
}

function responseView(
  status: string,
  response: OpenApiResponse,
  known: Set<string>,
): OperationView['responses'][number] {
  const content: Record<string, OpenApiMediaType> = response.content ?? {};
  const codes = Object.values(content).flatMap((c) => Object.keys(c.examples ?? {}));
  for (const word of (response.description ?? '').matchAll(/[a-z_]+/g)) {
    if (known.has(word[0])) codes.push(word[0]);
  }
  return {
    status,
    description: response.description ?? '',
    headers: Object.entries(response.headers ?? {}).map(([name, h]) => ({
      name,
      value: h.schema?.const !== undefined ? String(h.schema.const) : undefined,
    })),
    bodies: Object.entries(content).map(([mediaType, c]) => ({ mediaType, type: typeOf(c.schema) })),
    codes: [...new Set(codes)],
  };
}

/**
 * The OAuth error codes the routes answer with: those of the one error table, and those the
 * document gives examples of. A response's codes are its examples plus the known codes its text
 * names.
 */
function knownCodes(paths: Record<string, OpenApiPathItem>): Set<string> {
  const known = new Set<string>(Object.values(KIT_ERROR_HTTP).map((entry) => entry.error));
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item)) {
      for (const response of Object.values(op.responses ?? {})) {
        for (const c of Object.values(response.content ?? {})) {
          for (const code of Object.keys(c.examples ?? {})) known.add(code);
        }
      }
    }
  }
  return known;
}

function typeOf(schema: JsonSchema | undefined): TypeView | undefined {
  if (!schema) return undefined;
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return { kind: 'ref', name, anchor: schemaAnchor(name) };
  }
  if (schema.const !== undefined) return { kind: 'values', values: [JSON.stringify(schema.const)] };
  if (schema.enum) return { kind: 'values', values: schema.enum.map((v) => JSON.stringify(v)) };
  if (schema.type === 'array')
    return { kind: 'array', items: schema.items ? typeOf(schema.items) : undefined };
  const names = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'any'];
  return { kind: 'plain', names, format: schema.format };
}

/** A description followed by the default value, if the schema has one. */
function describe(description: string | undefined, schema: JsonSchema | undefined): string {
  const parts: string[] = [];
  if (description) parts.push(description);
  if (schema?.default !== undefined) parts.push(`Default \`${JSON.stringify(schema.default)}\`.`);
  return parts.join(' ');
}

function schemaAnchor(name: string): string {
  return `schema-${name.toLowerCase()}`;
}
