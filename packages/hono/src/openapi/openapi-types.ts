/**
 * The parts of an OpenAPI 3.1 document the kit writes and the reference renderers read. Loose on
 * purpose (schemas are plain JSON Schema objects): the renderers also take host-written paths.
 * @internal
 */

/** A JSON Schema object, as OpenAPI 3.1 embeds it. */
export type JsonSchema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  format?: string;
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  items?: JsonSchema;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  description?: string;
};

export interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

export interface OpenApiMediaType {
  schema?: JsonSchema;
  examples?: Record<string, unknown>;
}

export interface OpenApiResponse {
  description?: string;
  headers?: Record<string, { schema?: JsonSchema; description?: string }>;
  content?: Record<string, OpenApiMediaType>;
}

export interface OpenApiOperation {
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, unknown[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, OpenApiMediaType> };
  responses?: Record<string, OpenApiResponse>;
}

/** Path item: operations by lower-case method. */
export type OpenApiPathItem = Record<string, OpenApiOperation>;
