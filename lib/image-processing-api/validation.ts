import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PropsValidator } from '../core/props-validator';
import { DEFAULT_LIMITS, DEFAULT_MEMORY_MIB, EVENT_ENVELOPE_BYTES, LAMBDA_PAYLOAD_LIMIT_BYTES, outputPixelsFor } from '../../contracts/image-processing-api/limits';
import { ImageApiAuthorization, ImageProcessingApiProps } from './props';

/** The limits the handler gets, with every default filled in. */
export interface ResolvedLimits {
  readonly maxRequestBytes: number;
  readonly maxInputBytes: number;
  readonly maxInputPixels: number;
  readonly maxOutputDimension: number;
  /** Undefined when `memorySize` is a token: the handler then fits it to the memory Lambda reports. */
  readonly maxOutputPixels?: number;
}

/** Checks every prop (throwing one error that lists every problem) and returns the handler's limits. */
export function validateProps(scope: IConstruct, props: ImageProcessingApiProps): ResolvedLimits {
  const v = new PropsValidator(scope, 'ImageProcessingApi');
  const maxInputBytes = props.maxInputBytes ?? DEFAULT_LIMITS.maxInputBytes;
  const memory = props.memorySize ?? DEFAULT_MEMORY_MIB;
  const maxBytesThatFit = Math.floor(((LAMBDA_PAYLOAD_LIMIT_BYTES - EVENT_ENVELOPE_BYTES) * 3) / 4);
  v.wholeNumber('maxInputBytes', maxInputBytes, 1, maxBytesThatFit, "its base64 must fit in Lambda's 6 MB request payload");
  v.wholeNumber('maxInputPixels', props.maxInputPixels, 1, 268_402_689, "sharp's own ceiling is 0x3FFF × 0x3FFF pixels");
  v.wholeNumber('maxOutputDimension', props.maxOutputDimension, 1, 16384, 'larger outputs cannot be returned within 6 MB anyway');
  v.wholeNumber('maxOutputPixels', props.maxOutputPixels, 1, 268_402_689, "sharp's own ceiling is 0x3FFF × 0x3FFF pixels");
  v.wholeNumber('throttlingRateLimit', props.throttlingRateLimit, 1, 10000, 'the account default is 10000 requests per second');
  v.wholeNumber('throttlingBurstLimit', props.throttlingBurstLimit, 1, 5000, 'the account default burst is 5000');
  v.wholeNumber('dailyQuotaPerApiKey', props.dailyQuotaPerApiKey, 1, 1_000_000_000, 'use a daily request count');
  v.wholeNumber('memorySize', props.memorySize, 512, 10240, 'sharp needs at least 512 MiB to decode images; Lambda allows up to 10240 MiB');
  v.duration('timeout', props.timeout, { min: Duration.seconds(1), max: Duration.seconds(29) });
  if (props.dailyQuotaPerApiKey !== undefined && props.authorization !== ImageApiAuthorization.API_KEY) {
    v.problem('dailyQuotaPerApiKey applies only with authorization: ImageApiAuthorization.API_KEY');
  }
  if (props.allowedOrigins) {
    if (props.allowedOrigins.length === 0) v.problem('allowedOrigins must not be empty; omit it to allow only the web page');
    for (const origin of props.allowedOrigins) {
      if (!Token.isUnresolved(origin) && origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
        v.problem(`allowed origin '${origin}' must look like https://example.com (scheme and host, no path) or be '*'`);
      }
    }
  }
  v.throwIfInvalid();
  return {
    maxRequestBytes: DEFAULT_LIMITS.maxRequestBytes,
    maxInputBytes,
    maxInputPixels: props.maxInputPixels ?? DEFAULT_LIMITS.maxInputPixels,
    maxOutputDimension: props.maxOutputDimension ?? DEFAULT_LIMITS.maxOutputDimension,
    maxOutputPixels: props.maxOutputPixels ?? (Token.isUnresolved(memory) ? undefined : outputPixelsFor(memory)),
  };
}
