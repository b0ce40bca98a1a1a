import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { FunctionOptions, knownRegionOf, otherStackProblem, regionMismatches } from '../core';
import { packageRoot } from '../core/assets';
import { validateFunctionOptions } from '../core/builders';
import { PropsValidator } from '../core/props-validator';
import {
  DEFAULT_LIMITS,
  DEFAULT_MEMORY_MIB,
  EVENT_ENVELOPE_BYTES,
  IMAGE_API_LIMIT_ENV,
  LAMBDA_PAYLOAD_LIMIT_BYTES,
  outputPixelsFor,
} from '../../contracts/image-processing-api/limits';
import { DEFAULT_STORAGE, IMAGE_API_STORAGE_ENV, MAX_URL_SECONDS, StorageSettings } from '../../contracts/image-processing-api/storage';
import { ImageApiAuthorization, ImageProcessingApiProps } from './props';

/** The limits the handler gets, with every default filled in, and the image function's settings. */
export interface ResolvedLimits {
  readonly imageFunction: FunctionOptions;
  readonly maxRequestBytes: number;
  readonly maxInputBytes: number;
  readonly maxInputPixels: number;
  readonly maxOutputDimension: number;
  /** Undefined when `memorySize` is a token: the handler then fits it to the memory Lambda reports. */
  readonly maxOutputPixels?: number;
  /** Originals, results and the cached GET path. */
  readonly storage: StorageSettings;
  readonly storedImageExpiration: Duration;
  readonly cachedDelivery: boolean;
}

/** Checks every prop (throwing one error that lists every problem) and returns the handler's limits. */
export function validateProps(scope: IConstruct, props: ImageProcessingApiProps): ResolvedLimits {
  const v = new PropsValidator(scope, 'ImageProcessingApi');
  const maxBytesThatFit = Math.floor(((LAMBDA_PAYLOAD_LIMIT_BYTES - EVENT_ENVELOPE_BYTES) * 3) / 4);
  const fitHint = "its base64 must fit in Lambda's 6 MB request payload";
  const maxInputSize = v.size('maxInputSize', props.maxInputSize, { unit: 'bytes', min: 1, max: maxBytesThatFit, hint: fitHint });
  v.wholeNumber('maxInputBytes', props.maxInputBytes, 1, maxBytesThatFit, fitHint);
  const maxInputBytes =
    v.renamed({ name: 'maxInputSize', value: maxInputSize }, { name: 'maxInputBytes', value: props.maxInputBytes }) ?? DEFAULT_LIMITS.maxInputBytes;
  v.wholeNumber('maxInputPixels', props.maxInputPixels, 1, 268_402_689, "sharp's own ceiling is 0x3FFF × 0x3FFF pixels");
  v.wholeNumber('maxOutputDimension', props.maxOutputDimension, 1, 16384, 'larger outputs cannot be returned within 6 MB anyway');
  v.wholeNumber('maxOutputPixels', props.maxOutputPixels, 1, 268_402_689, "sharp's own ceiling is 0x3FFF × 0x3FFF pixels");
  v.wholeNumber('throttlingRateLimit', props.throttlingRateLimit, 1, 10000, 'the account default is 10000 requests per second');
  v.wholeNumber('throttlingBurstLimit', props.throttlingBurstLimit, 1, 5000, 'the account default burst is 5000');
  v.wholeNumber('dailyQuotaPerApiKey', props.dailyQuotaPerApiKey, 1, 1_000_000_000, 'use a daily request count');
  const memoryHint = 'sharp needs at least 512 MiB to decode images; Lambda allows up to 10240 MiB';
  v.wholeNumber('memorySize', props.memorySize, 512, 10240, memoryHint);
  v.duration('timeout', props.timeout, { min: Duration.seconds(1), max: Duration.seconds(29) });
  if (props.siteBucket) {
    const crossStack = otherStackProblem(
      scope,
      'siteBucket',
      props.siteBucket,
      "CloudFront's origin access control writes a bucket policy in the bucket's stack that names the distribution, while the " +
        'distribution names the bucket: a reference cycle between the two stacks',
      "Create the ImageProcessingApi in the bucket's stack, or import the bucket into this stack by name " +
        "(s3.Bucket.fromBucketName(this, 'Site', name)) and grant the distribution s3:GetObject in the bucket's own policy",
    );
    if (crossStack) v.problem(crossStack);
  }
  const options = props.imageFunctionProps ?? {};
  validateFunctionOptions(v, 'imageFunctionProps', props.imageFunctionProps, {
    reservedEnvironment: ['POWERTOOLS_SERVICE_NAME', 'ALLOWED_ORIGINS', ...Object.values(IMAGE_API_LIMIT_ENV), ...Object.values(IMAGE_API_STORAGE_ENV)],
    minMemoryMiB: 512,
    minMemoryReason: memoryHint,
    maxTimeout: Duration.seconds(29),
  });
  if (options.architecture && options.architecture.name !== lambda.Architecture.X86_64.name && !sharpShipsFor(options.architecture)) {
    v.problem(
      `\`imageFunctionProps.architecture\` ${options.architecture.name} is not supported: the image function's asset ships sharp's linux-x64 ` +
        'binaries only (lambda/image-processing-api/bundle.config.mjs); use lambda.Architecture.X86_64 or leave it out',
    );
  }
  const imageFunction: FunctionOptions = {
    ...options,
    memorySize: v.renamed({ name: 'imageFunctionProps.memorySize', value: options.memorySize }, { name: 'memorySize', value: props.memorySize }),
    timeout: v.renamed({ name: 'imageFunctionProps.timeout', value: options.timeout }, { name: 'timeout', value: props.timeout }),
    reservedConcurrentExecutions: v.renamed(
      { name: 'imageFunctionProps.reservedConcurrentExecutions', value: options.reservedConcurrentExecutions },
      { name: 'reservedConcurrentExecutions', value: props.reservedConcurrentExecutions },
    ),
  };
  // maxOutputPixels' default is fitted to the memory the function really gets.
  const memory = imageFunction.memorySize ?? DEFAULT_MEMORY_MIB;
  checkDomains(v, scope, props);
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
  const maxSourceBytes = v.size('maxSourceSize', props.maxSourceSize, { unit: 'bytes', min: 1, max: 5 * 1024 ** 3, hint: 'a single presigned PUT carries at most 5 GiB' });
  const urlRange = { min: Duration.seconds(1), max: Duration.seconds(MAX_URL_SECONDS) };
  const uploadUrlSeconds = v.duration('uploadUrlExpiration', props.uploadUrlExpiration, urlRange);
  const resultUrlSeconds = v.duration('resultUrlExpiration', props.resultUrlExpiration, urlRange);
  v.duration('storedImageExpiration', props.storedImageExpiration, { unit: 'days', min: Duration.days(1) });
  const maxAge = v.duration('deliveryCacheMaxAge', props.deliveryCacheMaxAge, { min: Duration.seconds(1), max: Duration.days(365) });
  if (props.deliveryWidths !== undefined) {
    if (props.deliveryWidths.length === 0 || props.deliveryWidths.length > 20) v.problem(`\`deliveryWidths\` must list 1 to 20 widths (got ${props.deliveryWidths.length})`);
    props.deliveryWidths.forEach((w, i) => v.wholeNumber(`deliveryWidths[${i}]`, w, 1, props.maxOutputDimension ?? DEFAULT_LIMITS.maxOutputDimension, 'at most maxOutputDimension'));
  }
  const cachedDelivery = props.cachedDelivery ?? (props.authorization ?? ImageApiAuthorization.NONE) === ImageApiAuthorization.NONE;
  v.throwIfInvalid();
  const storage: StorageSettings = {
    uploadUrlSeconds: uploadUrlSeconds ?? DEFAULT_STORAGE.uploadUrlSeconds,
    resultUrlSeconds: resultUrlSeconds ?? DEFAULT_STORAGE.resultUrlSeconds,
    maxSourceBytes: maxSourceBytes ?? DEFAULT_STORAGE.maxSourceBytes,
    deliveryWidths: props.deliveryWidths ? [...new Set(props.deliveryWidths)].sort((a, b) => a - b) : DEFAULT_STORAGE.deliveryWidths,
    deliveryMaxAgeSeconds: maxAge ?? DEFAULT_STORAGE.deliveryMaxAgeSeconds,
  };
  return {
    storage,
    storedImageExpiration: props.storedImageExpiration ?? Duration.days(1),
    cachedDelivery,
    imageFunction,
    maxRequestBytes: DEFAULT_LIMITS.maxRequestBytes,
    maxInputBytes,
    maxInputPixels: props.maxInputPixels ?? DEFAULT_LIMITS.maxInputPixels,
    maxOutputDimension: props.maxOutputDimension ?? DEFAULT_LIMITS.maxOutputDimension,
    maxOutputPixels: props.maxOutputPixels ?? (Token.isUnresolved(memory) ? undefined : outputPixelsFor(memory)),
  };
}

/** Whether the image function's asset ships sharp's binaries for `architecture` (linux, glibc). */
function sharpShipsFor(architecture: lambda.Architecture): boolean {
  const cpu = architecture.name === lambda.Architecture.ARM_64.name ? 'arm64' : architecture.name;
  return fs.existsSync(path.join(packageRoot(), 'assets', 'image-processing-api', 'node_modules', '@img', `sharp-linux-${cpu}`));
}

const DOMAIN_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** Custom domains: well-formed names, certificates in the regions CloudFront and API Gateway read them from. */
function checkDomains(v: PropsValidator, scope: IConstruct, props: ImageProcessingApiProps): void {
  for (const [prop, domain] of [
    ['siteDomain', props.siteDomain],
    ['apiDomain', props.apiDomain],
  ] as const) {
    if (!domain) continue;
    if (!Token.isUnresolved(domain.domainName) && !DOMAIN_NAME.test(domain.domainName)) {
      v.problem(`\`${prop}.domainName\` '${domain.domainName}' must be a domain name such as images.example.com`);
    }
  }
  if (props.siteDomain) {
    const region = certificateRegion(props.siteDomain.certificate);
    if (region !== undefined && region !== 'us-east-1') {
      v.problem(
        `\`siteDomain.certificate\` is in ${region}, but CloudFront uses certificates from us-east-1 only: request or import the certificate ` +
          'in us-east-1 (a stack with env.region us-east-1 and crossRegionReferences, or its ARN)',
      );
    }
  }
  if (props.apiDomain) {
    v.problems(
      regionMismatches(scope, [
        { prop: 'apiDomain.certificate', arn: props.apiDomain.certificate.certificateArn, why: 'a regional API Gateway domain uses a certificate of its own region' },
      ]),
    );
  }
  v.problems(
    regionMismatches(scope, [
      { prop: 'imageBucketEncryptionKey', arn: props.imageBucketEncryptionKey?.keyArn, why: 'S3 encrypts a bucket only with a KMS key of its own region' },
    ]),
  );
}

/** The certificate's region when known: from its ARN, or the region of the stack that creates it. */
function certificateRegion(certificate: acm.ICertificate): string | undefined {
  const arn = certificate.certificateArn;
  if (!Token.isUnresolved(arn)) return knownRegionOf(arn);
  // A token ARN: known only for a certificate the app creates (an imported token ARN could be anywhere).
  if (!(certificate.node.defaultChild instanceof acm.CfnCertificate)) return undefined;
  const stackRegion = Stack.of(certificate).region;
  return Token.isUnresolved(stackRegion) ? undefined : stackRegion;
}
