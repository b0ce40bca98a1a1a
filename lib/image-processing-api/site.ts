import { Duration, Fn, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { acknowledgeNag, SECURE_BUCKET_DEFAULTS, SecureBucket } from '../core';
import { packageRoot } from '../core/assets';
import { newLogOnlyLambdaRole } from '../core/builders';
import { newPatternLogGroup } from '../core/log-groups';
import { acknowledgeSiteDeploymentGrants } from './permissions';
import { ImageApiAuthorization, ImageProcessingApiProps } from './props';

/** The directory holding the web page. `npm run build` copies it from `lib/image-processing-api/site`. */
/** @internal */
export function imageApiSitePath(): string {
  const dir = path.join(packageRoot(), 'assets', 'image-processing-api-site');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`The image API web page is missing (${dir}/index.html). Run 'npm run build' (npm ci runs it through 'prepare').`);
  }
  return dir;
}

/** What the page's `config.json` tells the browser, and how long the deployment keeps its logs. */
interface SiteDeploymentConfig {
  readonly apiUrl: string;
  readonly authorization: ImageApiAuthorization;
  readonly maxInputBytes: number;
  readonly logRetention: logs.RetentionDays;
  /** The API's `logEncryptionKey`, for the deployment's log group. */
  readonly logEncryptionKey?: kms.IKey;
  /** The page PUTs large originals to the image bucket (getUploadUrl). */
  readonly uploads: boolean;
  /** Base of the cached GET path, when on. */
  readonly deliveryUrl?: string;
}

/**
 * The image API's web page: a private bucket served through CloudFront with origin access control and
 * strict security headers, and the deployment that copies the page and its `config.json` into it.
 * Internal to {@link ImageProcessingApi}; its id is `Default`, which CDK leaves out of logical ids, so the
 * resources keep the ids they had when the API built them itself.
 */
export class ImageApiSite extends Construct {
  public readonly siteStorage?: SecureBucket;
  public readonly siteBucket: s3.IBucket;
  public readonly distributionLogBucket?: s3.Bucket;
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  public readonly distribution: cloudfront.Distribution;
  public readonly siteUrl: string;
  /** Every origin the page is served from: the custom domain (when given) and the distribution's own name. */
  public readonly siteOrigins: string[];
  public siteDeployment?: s3deploy.BucketDeployment;
  public siteDeploymentRole?: iam.Role;

  /** `connectSources`: origins the page may fetch from besides the API (the image bucket, for presigned PUTs and GETs). */
  constructor(scope: Construct, props: ImageProcessingApiProps, connectSources: string[] = []) {
    super(scope, 'Default');
    // ---- the web page's storage and distribution ----
    if (props.siteBucket) {
      this.siteBucket = props.siteBucket;
    } else {
      this.siteStorage = new SecureBucket(this, 'Site');
      this.siteBucket = this.siteStorage.bucket;
    }
    if (props.distributionLogging !== false) {
      // CloudFront standard logs are delivered with ACLs, so this bucket (alone) keeps ACLs enabled.
      this.distributionLogBucket = new s3.Bucket(this, 'DistributionLogs', {
        ...SECURE_BUCKET_DEFAULTS,
        versioned: false,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      });
      acknowledgeNag(this.distributionLogBucket, {
        id: 'AwsSolutions-S1',
        reason: 'This bucket only receives CloudFront access logs; logging access to the log bucket itself would recurse.',
      });
    }
    const apiDomain = Fn.join('', ['https://', '*.execute-api.', Stack.of(this).region, '.', Stack.of(this).urlSuffix]);
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Image API page: strict CSP allowing only the image API, HSTS, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: Fn.join('', [
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ",
            apiDomain,
            ...connectSources.map((source) => Fn.join('', [' ', source])),
            "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          ]),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Image processing API web page',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: this.distributionLogBucket !== undefined,
      logBucket: this.distributionLogBucket,
      logFilePrefix: this.distributionLogBucket ? 'cloudfront/' : undefined,
      webAclId: props.distributionWebAclArn,
      domainNames: props.siteDomain ? [props.siteDomain.domainName] : undefined,
      certificate: props.siteDomain?.certificate,
      minimumProtocolVersion: props.siteDomain ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
    });
    const distributionUrl = `https://${this.distribution.distributionDomainName}`;
    this.siteUrl = props.siteDomain ? `https://${props.siteDomain.domainName}` : distributionUrl;
    this.siteOrigins = props.siteDomain ? [this.siteUrl, distributionUrl] : [distributionUrl];
    acknowledgeNag(this.distribution, {
      id: 'AwsSolutions-CFR1',
      reason: 'The image page is a public demo page with no region-specific content; geo restriction is left to the user.',
    });
    if (!props.siteDomain) {
      acknowledgeNag(this.distribution, {
        id: 'AwsSolutions-CFR4',
        reason: 'The distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the minimum TLS policy; attach a custom domain and certificate to choose TLSv1.2_2021.',
      });
    }
    if (!props.distributionWebAclArn) {
      acknowledgeNag(this.distribution, {
        id: 'AwsSolutions-CFR2',
        reason: 'The distribution serves three static files from a private bucket; a WAF web ACL (distributionWebAclArn) is optional and billed per ACL.',
      });
    }
    if (!this.distributionLogBucket) {
      acknowledgeNag(this.distribution, {
        id: 'AwsSolutions-CFR3',
        reason: 'CloudFront access logging was turned off explicitly through ImageProcessingApiProps.distributionLogging = false.',
      });
    }
  }

  /** Copies the page and its runtime `config.json` (the API URL) into the site bucket. */
  public deploy(config: SiteDeploymentConfig): void {
    const provider = siteDeploymentProvider(this, config.logRetention, config.logEncryptionKey);
    this.siteDeploymentRole = provider.role;
    // CDK's provider function is a stack-level singleton shared with the user's own BucketDeployments of the
    // same settings: only one this deployment brings into the stack is the library's to acknowledge.
    const providersBefore = new Set(bucketDeploymentProviders(this));
    this.siteDeployment = new s3deploy.BucketDeployment(this, 'SiteDeployment', {
      destinationBucket: this.siteBucket,
      sources: [
        s3deploy.Source.asset(imageApiSitePath()),
        s3deploy.Source.jsonData('config.json', {
          apiUrl: config.apiUrl,
          authorization: config.authorization,
          maxInputBytes: config.maxInputBytes,
          uploads: config.uploads,
          ...(config.deliveryUrl ? { deliveryUrl: config.deliveryUrl } : {}),
        }),
      ],
      cacheControl: [s3deploy.CacheControl.fromString('public, max-age=60')],
      // In your own bucket, other objects are not ours to delete.
      prune: this.siteStorage !== undefined,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
      role: provider.role,
      logGroup: provider.logGroup,
    });
    const ownProviders = bucketDeploymentProviders(this).filter((provider) => !providersBefore.has(provider));
    acknowledgeSiteDeploymentGrants(this, this.siteDeployment, ownProviders);
  }
}

/** The stack's CDK BucketDeployment provider functions (singletons at stack level). */
function bucketDeploymentProviders(scope: Construct): Construct[] {
  return Stack.of(scope).node.children.filter((child): child is Construct => child.node.id.startsWith('Custom::CDKBucketDeployment')) as Construct[];
}

/**
 * CDK runs every BucketDeployment of a stack that has the same settings on ONE provider function (a singleton)
 * with the role and log group given to the first. The role and log group are therefore made once per stack, by
 * the first ImageProcessingApi, and shared by the others (instead of roles and log groups nothing uses).
 */
const siteDeploymentProviders = new WeakMap<Stack, { role: iam.Role; logGroup: logs.LogGroup }>();

function siteDeploymentProvider(scope: Construct, retention: logs.RetentionDays, encryptionKey?: kms.IKey): { role: iam.Role; logGroup: logs.LogGroup } {
  const stack = Stack.of(scope);
  let provider = siteDeploymentProviders.get(stack);
  if (!provider) {
    const logGroup = newPatternLogGroup(scope, 'SiteDeploymentLogs', { retention, encryptionKey });
    // Our own role instead of the AWSLambdaBasicExecutionRole CDK would attach to its provider function.
    const role = newLogOnlyLambdaRole(scope, 'SiteDeploymentRole', logGroup, 'Copies the image API web page and its config.json into the site bucket');
    provider = { role, logGroup };
    siteDeploymentProviders.set(stack, provider);
  }
  return provider;
}
