import { ApiError } from '../../../main/contracts/client.js';

/** User-facing text for each error code: the one place the console turns codes into words. */
const textByCode: Record<string, string> = {
  VALIDATION_FAILED: 'Some input is not valid',
  INVALID_INPUT: 'The file could not be read as a table',
  NOT_FOUND: 'Not found',
  CONFLICT: 'That conflicts with the current state',
  UNAUTHORIZED: 'The access token is missing or wrong',
  FORBIDDEN: 'Not allowed',
  CANCELLED: 'Cancelled',
  PAYLOAD_TOO_LARGE: 'The file is too large',
  NOT_SUPPORTED: 'This model cannot do that',
  RATE_LIMITED: 'Too many attempts',
  BUDGET_UNMET: 'No candidate met the size or latency limits',
  STORE_INCOMPATIBLE: 'The data folder cannot be opened by this version of Hearth',
  INTERNAL: 'Something went wrong inside Hearth',
};

/** A coded error as it crosses the wire (`{ code, message }`), whether or not it was wrapped in an ApiError. */
function codedError(error: unknown): { code: string; message: string; details?: unknown } | null {
  if (error instanceof ApiError) return error;
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const { code, message } = error;
    if (typeof code === 'string' && typeof message === 'string') return error as { code: string; message: string };
  }
  return null;
}

export function describeError(error: unknown): string {
  const coded = codedError(error);
  if (coded !== null) return `${textByCode[coded.code] ?? coded.code}: ${coded.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A coded error's messages by the argument they name (the first path segment): VALIDATION_FAILED lists zod's issues
 * in details.issues, other codes may name one argument in details.path. Empty when it names none.
 */
export function fieldMessages(error: unknown): Record<string, string> {
  const coded = codedError(error);
  if (coded === null || typeof coded.details !== 'object' || coded.details === null) return {};
  const details = coded.details as { issues?: { path?: unknown; message?: unknown }[]; path?: unknown };
  const out: Record<string, string> = {};
  const add = (path: unknown, message: string): void => {
    const field = Array.isArray(path) && typeof path[0] === 'string' ? path[0] : null;
    if (field !== null) out[field] = out[field] === undefined ? message : `${out[field]}; ${message}`;
  };
  if (Array.isArray(details.issues))
    for (const issue of details.issues) if (typeof issue.message === 'string') add(issue.path, issue.message);
  if (details.path !== undefined) add(details.path, coded.message);
  return out;
}
