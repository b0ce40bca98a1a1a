import { Duration, Size } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ImageApiAuthorization, ImageProcessingApi } from '../../lib';
import { IMAGE_API_STORAGE_ENV } from '../../contracts/image-processing-api/storage';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';

/** Originals and results in S3, and the cached GET path through the page's distribution. */
describe('ImageProcessingApi image bucket and cached delivery', () => {
  const stack = newTestStack('ImageStorage');
  const images = new ImageProcessingApi(stack, 'Images', { deliveryWidths: [800, 200, 200], uploadUrlExpiration: Duration.minutes(2) });
  const template = templateOf(stack);
  const bucketId = stack.getLogicalId(images.imageBucket.node.defaultChild as any);

  it('deletes originals and results after a day and keeps no versions', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: Match.absent(),
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Id: 'expire-originals', Prefix: 'originals/', ExpirationInDays: 1, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
          Match.objectLike({ Id: 'expire-results', Prefix: 'results/', ExpirationInDays: 1, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        ],
      },
      CorsConfiguration: {
        CorsRules: [Match.objectLike({ AllowedMethods: ['PUT', 'GET'], AllowedHeaders: ['content-type', 'if-none-match'], AllowedOrigins: [Match.anyValue()] })],
      },
    });
  });

  it('lets the function read only originals and write only results; uploads and result downloads only through young presigned URLs', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes(bucketId));
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    const on = (s: Record<string, any>): string => JSON.stringify(s.Resource).replace(/.*"(\/[^"]*)".*/, '$1');
    const presigned = { StringEquals: { 's3:authType': 'REST-QUERY-STRING' }, NumericLessThanEquals: { 's3:signatureAge': '3600000' } };
    expect(statements.map((s) => ({ sid: s.Sid, action: s.Action, on: on(s), condition: s.Condition }))).toEqual([
      { sid: 'ReadOriginals', action: 's3:GetObject', on: '/originals/*', condition: undefined },
      { sid: 'WriteResults', action: 's3:PutObject', on: '/results/*', condition: undefined },
      { sid: 'TellMissingOriginals', action: 's3:ListBucket', on: expect.any(String), condition: { StringLike: { 's3:prefix': ['originals/*'] } } },
      { sid: 'PresignedUploads', action: 's3:PutObject', on: '/originals/*', condition: presigned },
      { sid: 'PresignedResults', action: 's3:GetObject', on: '/results/*', condition: presigned },
    ]);
    // Nothing else in the template grants the function anything on this bucket.
    const roleId = stack.getLogicalId(images.imageFunction.role!.node.defaultChild as any);
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      if (policy === policies[0]) continue;
      if (JSON.stringify(policy.Properties.Roles ?? []).includes(roleId)) expect(JSON.stringify(policy)).not.toContain(bucketId);
    }
  });

  it('tells the handler the bucket and the settings (widths sorted and unique)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [IMAGE_API_STORAGE_ENV.bucket]: { Ref: bucketId },
          [IMAGE_API_STORAGE_ENV.uploadUrlSeconds]: '120',
          [IMAGE_API_STORAGE_ENV.resultUrlSeconds]: '900',
          [IMAGE_API_STORAGE_ENV.maxSourceBytes]: String(32 * 1024 * 1024),
          [IMAGE_API_STORAGE_ENV.deliveryWidths]: '200,800',
          [IMAGE_API_STORAGE_ENV.deliveryMaxAgeSeconds]: '86400',
        }),
      },
    });
  });

  it('routes /img/* of the page distribution to GET /img/{proxy+}, cached by path alone, with Accept: image/* to the origin', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'NONE', RequestParameters: { 'method.request.path.proxy': true } });
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        MinTTL: 0,
        DefaultTTL: 86400,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          QueryStringsConfig: { QueryStringBehavior: 'none' },
          HeadersConfig: { HeaderBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
        }),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: [Match.objectLike({ PathPattern: '/img/*', AllowedMethods: ['GET', 'HEAD'], ViewerProtocolPolicy: 'redirect-to-https' })],
        Origins: Match.arrayWith([
          Match.objectLike({ OriginPath: '/prod', OriginCustomHeaders: [{ HeaderName: 'Accept', HeaderValue: 'image/*' }], CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }) }),
        ]),
      }),
    });
    const distributionId = stack.getLogicalId(images.distribution.node.defaultChild as any);
    expect(stack.resolve(images.deliveryUrl)).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/img']] });
  });

  it('bounds the new request fields in the API Gateway model before the function runs', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({
        properties: Match.objectLike({
          operation: Match.objectLike({ enum: Match.arrayWith(['getUploadUrl']) }),
          sourceKey: { type: 'string', maxLength: 200 },
          deliver: { type: 'string', enum: ['url', 'inline'] },
          contentType: { type: 'string', maxLength: 64 },
          contentLength: { type: 'integer', minimum: 1 },
        }),
      }),
    });
  });

  it("lets the page PUT to the region's S3 endpoints (CSP connect-src)", () => {
    const policy = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0];
    expect(JSON.stringify(policy)).toContain('https://*.s3.');
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });

  it('has no public GET path with API_KEY or IAM unless asked for', () => {
    for (const authorization of [ImageApiAuthorization.API_KEY, ImageApiAuthorization.IAM]) {
      const other = newTestStack(`Private${authorization.replace('_', '')}`);
      const api = new ImageProcessingApi(other, 'Images', { authorization });
      expect(api.deliveryMethod).toBeUndefined();
      templateOf(other).resourcePropertiesCountIs('AWS::ApiGateway::Method', { HttpMethod: 'GET' }, 0);
    }
  });

  it('refuses settings that would outlive the signature policy or the output limits, naming the prop', () => {
    const make = (props: Record<string, unknown>) => () => new ImageProcessingApi(newTestStack('Bad'), 'Images', props);
    expect(make({ uploadUrlExpiration: Duration.hours(2) })).toThrow(/`uploadUrlExpiration` must be from 1 second to 1 hour/);
    expect(make({ resultUrlExpiration: Duration.hours(2) })).toThrow(/`resultUrlExpiration` must be/);
    expect(make({ storedImageExpiration: Duration.hours(5) })).toThrow(/`storedImageExpiration` must be a whole number of days/);
    expect(make({ deliveryWidths: [] })).toThrow(/`deliveryWidths` must list 1 to 20 widths/);
    expect(make({ deliveryWidths: [100, 9000] })).toThrow(/`deliveryWidths\[1\]` must be a whole number from 1 to 8192/);
    expect(make({ maxSourceSize: Size.gibibytes(6) })).toThrow(/`maxSourceSize`/);
  });
});

describe('ImageProcessingApi imageBucketEncryptionKey', () => {
  it('encrypts the image bucket with the key (SSE-KMS, bucket key) and lets only the function use it, without cdk-nag findings', () => {
    const stack = newTestStack('ImageStorageKms');
    const key = new kms.Key(stack, 'ImagesKey', { enableKeyRotation: true });
    const images = new ImageProcessingApi(stack, 'Images', { imageBucketEncryptionKey: key });
    const template = templateOf(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    const bucket = template.toJSON().Resources[stack.getLogicalId(images.imageBucket.node.defaultChild as any)];
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } },
    ]);
    const keyUsers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes(JSON.stringify(keyArn)));
    expect(keyUsers).toHaveLength(1);
    expect(keyUsers[0].Properties.PolicyDocument.Statement).toContainEqual({ Sid: 'ImageBucketKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: keyArn });
    expect(keyUsers[0].Properties.Roles).toEqual([{ Ref: stack.getLogicalId(images.imageFunction.role!.node.defaultChild as any) }]);
    expectNoNagFindings(stack);
  });

  it('refuses a key of another region, naming the prop', () => {
    const stack = newTestStack('ImageStorageOtherRegionKey');
    const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(() => new ImageProcessingApi(stack, 'Images', { imageBucketEncryptionKey: key })).toThrow(/`imageBucketEncryptionKey` \(arn:aws:kms:eu-west-1:[^)]*\) is in eu-west-1, but stack ImageStorageOtherRegionKey deploys to us-east-1/);
  });
});
