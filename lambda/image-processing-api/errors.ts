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
