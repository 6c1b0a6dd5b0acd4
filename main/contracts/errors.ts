/**
 * The closed set of error codes that cross every boundary (IPC, HTTP, CLI, workers).
 * Expected errors carry one of these; anything else is a bug and surfaces as INTERNAL.
 */
export const errorCodes = [
  'VALIDATION_FAILED',
  'INVALID_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CANCELLED',
  'PAYLOAD_TOO_LARGE',
  'STORE_INCOMPATIBLE',
  /** A remote (a registry, a broker) could not be reached or failed on its side; retrying later may work. */
  'UNAVAILABLE',
  /** A model artifact arrived whole (every digest matched) but does not load: its graph or stored form is broken. */
  'MODEL_LOAD_FAILED',
  /**
   * The request is valid but this kind of model cannot do it (explaining an imported ONNX graph, say): the message
   * names the kind and why; retrying will not help.
   */
  'NOT_SUPPORTED',
  /** Too many failed sign-ins from one address: wait the Retry-After seconds. */
  'RATE_LIMITED',
  /**
   * The request's Host header names something this server is not reached by (a DNS-rebinding page's own name, say):
   * add the name to `allowedHosts` in the config file if it is really ours.
   */
  'HOST_NOT_ALLOWED',
  /**
   * No searched candidate met the run's size or latency limits (maxSize, maxLatencyUs): the details name the smallest
   * and fastest achieved; nothing was registered.
   */
  'BUDGET_UNMET',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** The wire form of an error: what every transport sends and every client receives. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** An expected, coded failure. Throw it from engine code; transports serialize it unchanged. */
export class HearthError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'HearthError';
    this.code = code;
    this.details = details;
  }

  toJSON(): SerializedError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (errorCodes as readonly string[]).includes(value);
}

/** Turns anything thrown into the wire form; unexpected errors keep their message but become INTERNAL. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof HearthError) return error.toJSON();
  if (typeof error === 'object' && error !== null && 'code' in error && isErrorCode(error.code) && 'message' in error) {
    const e = error as SerializedError;
    return e.details === undefined
      ? { code: e.code, message: e.message }
      : { code: e.code, message: e.message, details: e.details };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}

/** HTTP status for each code, used by the HTTP transport only. */
export const httpStatusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_INPUT: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CANCELLED: 409,
  PAYLOAD_TOO_LARGE: 413,
  STORE_INCOMPATIBLE: 500,
  UNAVAILABLE: 503,
  MODEL_LOAD_FAILED: 422,
  NOT_SUPPORTED: 422,
  RATE_LIMITED: 429,
  // 421 Misdirected Request (RFC 9110 §15.5.20): this server does not answer for that authority.
  HOST_NOT_ALLOWED: 421,
  BUDGET_UNMET: 422,
  INTERNAL: 500,
};

/** Compile-time exhaustiveness guard: a forgotten case in a switch becomes a type error. */
export function missingCase(value: never): never {
  throw new HearthError('INTERNAL', `unhandled case: ${JSON.stringify(value)}`);
}
