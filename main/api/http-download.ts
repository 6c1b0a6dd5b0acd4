import type { FastifyReply, FastifyRequest } from 'fastify';

/** A method's file result (models.export): base64 in JSON, for every transport. */
interface FileResult {
  fileName: string;
  base64: string;
}

function isFileResult(result: unknown): result is FileResult {
  return (
    typeof result === 'object' &&
    result !== null &&
    typeof (result as FileResult).fileName === 'string' &&
    typeof (result as FileResult).base64 === 'string'
  );
}

/**
 * A method's result over HTTP: JSON, unless the caller asked for `application/octet-stream` and the result is a
 * file, which then comes as the file itself, a download named by its fileName (`curl -OJ` and browsers save it as
 * that). File names come from validated model names and versions, so they need no quoting beyond the quotes.
 */
export function httpResult(request: FastifyRequest, reply: FastifyReply, result: unknown): unknown {
  const accept = request.headers.accept ?? '';
  if (!accept.includes('application/octet-stream') || !isFileResult(result)) return result;
  return reply
    .header('content-type', 'application/octet-stream')
    .header('content-disposition', `attachment; filename="${result.fileName.replace(/["\\\r\n]/g, '_')}"`)
    .send(Buffer.from(result.base64, 'base64'));
}
