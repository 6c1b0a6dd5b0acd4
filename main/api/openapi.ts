import { z } from 'zod';
import { apiSchemas, type ApiMethod } from '../contracts/api.js';

const errorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
};

/** OpenAPI 3.1 document generated from the contract's zod schemas: one POST per method, plus the REST routes. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const method of Object.keys(apiSchemas) as ApiMethod[]) {
    paths[`/api/${method}`] = {
      post: {
        operationId: method,
        tags: [method.split('.')[0]],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: z.toJSONSchema(apiSchemas[method], { io: 'input', unrepresentable: 'any' }) },
          },
        },
        responses: {
          '200':
            method === 'models.export'
              ? {
                  description: 'the file: JSON with it in base64, or with Accept: application/octet-stream the file itself',
                  content: { 'application/json': {}, 'application/octet-stream': {} },
                }
              : { description: 'the result' },
          default: { description: 'a coded error', content: { 'application/json': { schema: errorSchema } } },
        },
      },
    };
  }
  paths['/v1/models/{name}/predict'] = {
    post: {
      operationId: 'predict',
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['rows'],
              properties: { rows: { type: 'array', items: { type: 'object' } }, version: { type: 'integer' } },
            },
          },
        },
      },
      responses: { '200': { description: '{ model, version, predictions }' }, default: { description: 'a coded error' } },
    },
  };
  paths['/api/uploads'] = {
    put: {
      operationId: 'upload',
      requestBody: { content: { 'application/octet-stream': {} } },
      responses: { '200': { description: '{ uploadId }' } },
    },
  };
  paths['/api/events'] = { get: { operationId: 'events', responses: { '200': { description: 'text/event-stream' } } } };
  paths['/healthz'] = { get: { operationId: 'health', security: [], responses: { '200': { description: 'ok' } } } };
  paths['/readyz'] = {
    get: {
      operationId: 'ready',
      security: [],
      responses: {
        '200': { description: 'every followed model pulled, loaded and answering' },
        '503': { description: '{ status: "not-ready", reasons } (counts only)' },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hearth API',
      version,
      description:
        'Every key of every request and answer is camelCase. Keys that are data keep the spelling of what they ' +
        'name: metric names (roc_auc, log_loss), column, class, feature and alias names.',
    },
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
