import { Duration, Fn, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DELIVERY_PATH } from '../../contracts/image-processing-api/storage';
import { acknowledgeNag } from '../core';

/**
 * The cached GET path: `https://<distribution>/img/<spec>/<key>` → CloudFront (cache key: the path alone) →
 * API Gateway `GET /img/{proxy+}` → the image function, which answers the image bytes with
 * `Cache-Control: public, max-age=…`. A repeat is a CloudFront hit and costs no invocation. The origin always
 * gets `Accept: image/*` (an origin custom header), so API Gateway returns binary whatever the viewer sent,
 * and the viewer's headers, cookies and query strings never split the cache.
 */
export class ImageDelivery extends Construct {
  /** The GET method behind the distribution. */
  public readonly method: apigw.Method;
  /** The cache policy of the `/img/*` behaviour. */
  public readonly cachePolicy: cloudfront.CachePolicy;

  constructor(scope: Construct, id: string, api: apigw.RestApi, stageName: string, fn: lambda.IFunction, distribution: cloudfront.Distribution, maxAge: Duration) {
    super(scope, id);
    const resource = api.root.addResource(DELIVERY_PATH).addResource('{proxy+}');
    this.method = resource.addMethod('GET', new apigw.LambdaIntegration(fn, { proxy: true, allowTestInvoke: false, timeout: Duration.seconds(29) }), {
      requestParameters: { 'method.request.path.proxy': true },
      authorizationType: apigw.AuthorizationType.NONE,
    });
    acknowledgeNag(this.method, {
      id: 'AwsSolutions-APIG4',
      reason: 'The cached GET path serves derived images of unguessable upload keys to browsers through CloudFront, like any public image URL; its spec is allow-listed.',
    });
    acknowledgeNag(this.method, { id: 'AwsSolutions-COG4', reason: 'Public image delivery through CloudFront; no user pool is involved.' });
    this.cachePolicy = new cloudfront.CachePolicy(this, 'CachePolicy', {
      comment: 'Derived images: keyed by path only; TTL from the function (Cache-Control)',
      minTtl: Duration.seconds(0),
      defaultTtl: maxAge,
      maxTtl: Duration.days(365),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
    });
    // The origin by the API's id and stage name, not its URL (RestApiOrigin): the URL names the stage, which
    // depends on the gateway responses and methods whose CORS name this very distribution.
    const stack = Stack.of(this);
    const apiDomain = Fn.join('', [api.restApiId, '.execute-api.', stack.region, '.', stack.urlSuffix]);
    const origin = new origins.HttpOrigin(apiDomain, {
      originPath: `/${stageName}`,
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      customHeaders: { Accept: 'image/*' },
    });
    distribution.addBehavior(`/${DELIVERY_PATH}/*`, origin, {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      cachePolicy: this.cachePolicy,
      compress: false,
    });
  }
}
