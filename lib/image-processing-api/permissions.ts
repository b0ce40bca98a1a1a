import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { acknowledgeCompliancePackFindings, acknowledgeNag, acknowledgePolicyWildcards } from '../core';

/**
 * CDK grants the BucketDeployment provider wildcard actions on the CDK asset bucket's and the site bucket's
 * objects, and CloudFront invalidation on '*'. Each finding is acknowledged by its exact id, read from the
 * resolved policy, so it holds for every synthesizer (asset bucket names differ by qualifier and synthesizer)
 * and for imported buckets. The provider is one function per stack (CDK's singleton): with several
 * ImageProcessingApi in a stack, the first one's role does every copy, so the acknowledgement goes on the role
 * the provider really runs with.
 */
export function acknowledgeSiteDeploymentGrants(_scope: Construct, deployment: s3deploy.BucketDeployment, ownProviders: Construct[]): void {
  const providerPolicy = deployment.handlerRole.node.tryFindChild('DefaultPolicy');
  if (providerPolicy instanceof iam.Policy) {
    acknowledgePolicyWildcards(
      providerPolicy,
      "CDK's BucketDeployment grants its provider s3:GetObject*/List*/DeleteObject*/Abort* on the CDK asset bucket's and the " +
        "site bucket's objects to copy the page folder, and cloudfront:CreateInvalidation on '*' to refresh it; object " +
        'wildcards are inherent to copying a folder, and CloudFront invalidations have no narrower resource in CDK.',
    );
  }
  // The provider function is a singleton at stack level, outside this construct: acknowledged only where this
  // deployment created it, never on a provider the user's own BucketDeployment brought in.
  for (const provider of ownProviders) {
    const runtime = 'The CDK BucketDeployment provider pins its own Python runtime (it bundles the AWS CLI); CDK moves it forward with aws-cdk-lib releases.';
    acknowledgeNag(provider, { id: 'AwsSolutions-L1', reason: runtime }, { id: 'Serverless-LambdaLatestVersion', reason: runtime });
    acknowledgeCompliancePackFindings(provider);
  }
}
