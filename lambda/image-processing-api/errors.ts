/** A client or server error with the HTTP status and a stable machine-readable code. */
export class ImageApiError extends Error {
  constructor(
    /** HTTP status the API answers with. */
    public readonly status: number,
    /** Stable code clients can switch on, e.g. `disallowed_argument`. */
    public readonly code: string,
    message: string,
    /** Extra fields for the JSON error body (e.g. the rejected argument). */
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ImageApiError';
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>): ImageApiError =>
  new ImageApiError(400, code, message, details);

/**
 * A short, bounded description of a client-supplied value for an error message: strings are quoted and cut
 * to `max` characters, numbers and booleans shown as they are, anything else named by its type only.
 * It never walks into arrays or objects, so a value nested thousands of levels deep costs nothing and
 * cannot overflow the stack (JSON.stringify would).
 */
export function describeValue(value: unknown, max = 40): string {
  if (typeof value === 'string') return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
