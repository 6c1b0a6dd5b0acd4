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
  STORE_INCOMPATIBLE: 'The data folder cannot be opened by this version of Hearth',
  INTERNAL: 'Something went wrong inside Hearth',
};

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${textByCode[error.code] ?? error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
