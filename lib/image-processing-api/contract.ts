/**
 * What the construct must know about the handler's protocol. The construct cannot import the handler's
 * source (it is not part of the published `dist/lib`), so the few facts it needs are repeated here and a
 * test asserts they equal the handler's (test/image-processing-api/contract.test.ts).
 */

/** Operations of the original protocol, as the API Gateway request model's enum. */
export const IMAGE_API_OPERATIONS = ['ping', 'getDimensions', 'identify', 'resize', 'thumbnail', 'convert', 'getSample'];

/** Environment variables the handler reads its limits from. */
export const IMAGE_API_LIMIT_ENV = {
  maxRequestBytes: 'MAX_REQUEST_BYTES',
  maxInputBytes: 'MAX_INPUT_BYTES',
  maxInputPixels: 'MAX_INPUT_PIXELS',
  maxOutputDimension: 'MAX_OUTPUT_DIMENSION',
  maxResponseBytes: 'MAX_RESPONSE_BYTES',
  maxOutputPixels: 'MAX_OUTPUT_PIXELS',
};

/** Lambda's synchronous invocation payload limit (request and response), in bytes. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1000 * 1000;

/** Default largest decoded input image. Its base64 (×4/3) plus the event's envelope stays below 6 MB. */
export const DEFAULT_MAX_INPUT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_INPUT_PIXELS = 40_000_000;
export const DEFAULT_MAX_OUTPUT_DIMENSION = 8192;

/** Room left in the 6 MB Lambda event for headers and the request context around the JSON body. */
export const EVENT_ENVELOPE_BYTES = 64 * 1024;

/** Characters of base64 for `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}
