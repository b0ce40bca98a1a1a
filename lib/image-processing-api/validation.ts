import { Token } from 'aws-cdk-lib';
import { DEFAULT_LIMITS, EVENT_ENVELOPE_BYTES, LAMBDA_PAYLOAD_LIMIT_BYTES } from '../../contracts/image-processing-api/limits';
import { ImageApiAuthorization, ImageProcessingApiProps } from './props';

/** The limits the handler gets, with every default filled in. */
export interface ResolvedLimits {
  readonly maxRequestBytes: number;
  readonly maxInputBytes: number;
  readonly maxInputPixels: number;
  readonly maxOutputDimension: number;
}

/** Checks every prop and returns the handler's limits. */
export function validateProps(props: ImageProcessingApiProps): ResolvedLimits {
  const positive = (name: string, value: number | undefined, max: number, hint: string): void => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new Error(`ImageProcessingApi: ${name} must be a whole number from 1 to ${max} (got ${value}); ${hint}`);
    }
  };
  const maxInputBytes = props.maxInputBytes ?? DEFAULT_LIMITS.maxInputBytes;
  const maxBytesThatFit = Math.floor(((LAMBDA_PAYLOAD_LIMIT_BYTES - EVENT_ENVELOPE_BYTES) * 3) / 4);
  positive('maxInputBytes', maxInputBytes, maxBytesThatFit, "its base64 must fit in Lambda's 6 MB request payload");
  positive('maxInputPixels', props.maxInputPixels, 268_402_689, "sharp's own ceiling is 0x3FFF × 0x3FFF pixels");
  positive('maxOutputDimension', props.maxOutputDimension, 16384, 'larger outputs cannot be returned within 6 MB anyway');
  positive('throttlingRateLimit', props.throttlingRateLimit, 10000, 'the account default is 10000 requests per second');
  positive('throttlingBurstLimit', props.throttlingBurstLimit, 5000, 'the account default burst is 5000');
  positive('dailyQuotaPerApiKey', props.dailyQuotaPerApiKey, 1_000_000_000, 'use a daily request count');
  positive('memorySize', props.memorySize, 10240, 'Lambda allows 128 to 10240 MiB');
  if (props.memorySize !== undefined && props.memorySize < 512) {
    throw new Error(`ImageProcessingApi: memorySize ${props.memorySize} MiB is too small to decode images with sharp; use at least 512`);
  }
  if (props.timeout && !props.timeout.isUnresolved() && props.timeout.toSeconds() > 29) {
    throw new Error(`ImageProcessingApi: timeout must be at most 29 seconds, API Gateway's integration limit (got ${props.timeout.toSeconds()} s)`);
  }
  if (props.dailyQuotaPerApiKey !== undefined && props.authorization !== ImageApiAuthorization.API_KEY) {
    throw new Error('ImageProcessingApi: dailyQuotaPerApiKey applies only with authorization: ImageApiAuthorization.API_KEY');
  }
  if (props.allowedOrigins) {
    if (props.allowedOrigins.length === 0) throw new Error('ImageProcessingApi: allowedOrigins must not be empty; omit it to allow only the web page');
    for (const origin of props.allowedOrigins) {
      if (!Token.isUnresolved(origin) && origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
        throw new Error(`ImageProcessingApi: allowed origin '${origin}' must look like https://example.com (scheme and host, no path) or be '*'`);
      }
    }
  }
  return {
    maxRequestBytes: DEFAULT_LIMITS.maxRequestBytes,
    maxInputBytes,
    maxInputPixels: props.maxInputPixels ?? DEFAULT_LIMITS.maxInputPixels,
    maxOutputDimension: props.maxOutputDimension ?? DEFAULT_LIMITS.maxOutputDimension,
  };
}
