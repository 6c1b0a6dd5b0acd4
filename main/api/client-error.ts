import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { httpStatusOf, type SerializedError } from '../contracts/errors.js';

/**
 * A request Node's HTTP parser refuses (a malformed request line or header, headers too large, one that never
 * arrived whole): answered on the socket, as Fastify's default does, but with a coded body.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer: SerializedError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? { code: 'PAYLOAD_TOO_LARGE', message: 'the request headers are too large' }
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? { code: 'CANCELLED', message: 'the request did not arrive in time' }
        : { code: 'VALIDATION_FAILED', message: `malformed HTTP request (${error.code ?? 'unreadable'})` };
  const body = JSON.stringify(answer);
  const status = httpStatusOf[answer.code];
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}
