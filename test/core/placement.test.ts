import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledgePolicyWildcards, otherStackProblem, regionMismatches, SecureBucket } from '../../lib';
import { nagFindings, TEST_ENV } from '../helpers/cdk';

// These run in plain `new App()`s on purpose: users' apps carry none of our cdk.json flags.
describe('SecureBucket without feature flags', () => {
  it('synthesizes in a plain new App() and grants log delivery with a bucket policy, not an ACL', () => {
    const stack = new Stack(new App(), 'Plain');
    new SecureBucket(stack, 'Data');
    const template = Template.fromStack(stack);
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.AccessControl).toBeUndefined();
      expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    }
    expect(JSON.stringify(template.findResources('AWS::S3::BucketPolicy'))).toContain('logging.s3.amazonaws.com');
  });

  it('does not change the flag for the user’s own buckets', () => {
    const stack = new Stack(new App(), 'Plain');
    new SecureBucket(stack, 'Data');
    const users = new s3.Bucket(stack, 'Users');
    expect(users.node.tryGetContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy')).toBeUndefined();
  });
});

describe('regionMismatches', () => {
  const why = 'the handler reads it with a regional client';
  it('names the prop, both regions and the way out', () => {
    const stack = new Stack(new App(), 'S', { env: TEST_ENV });
    const problems = regionMismatches(stack, [{ prop: 'queue', arn: 'arn:aws:sqs:eu-west-1:123456789012:jobs', why }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/`queue`.*eu-west-1.*us-east-1.*regional client.*env\.region 'eu-west-1'/);
  });

  it('accepts the same region, token ARNs and env-agnostic stacks', () => {
    const stack = new Stack(new App(), 'S', { env: TEST_ENV });
    const created = new sqs.Queue(stack, 'Q');
    expect(
      regionMismatches(stack, [
        { prop: 'a', arn: 'arn:aws:sqs:us-east-1:123456789012:jobs', why },
        { prop: 'b', arn: created.queueArn, why },
        { prop: 'c', arn: undefined, why },
      ]),
    ).toEqual([]);
    const agnostic = new Stack(new App(), 'Agnostic');
    expect(regionMismatches(agnostic, [{ prop: 'q', arn: 'arn:aws:sqs:eu-west-1:123456789012:jobs', why }])).toEqual([]);
  });
});

describe('otherStackProblem', () => {
  it('reports a resource of another stack with the advice, and nothing for the same stack', () => {
    const app = new App();
    const storage = new Stack(app, 'Storage');
    const here = new Stack(app, 'Here');
    const bucket = new s3.Bucket(storage, 'B');
    expect(otherStackProblem(here, 'bucket', bucket, 'cycle', 'Move it.')).toMatch(/`bucket` \(Storage\/B\) belongs to stack Storage.*Here.*cycle\. Move it\./);
    expect(otherStackProblem(storage, 'bucket', bucket, 'cycle', 'Move it.')).toBeUndefined();
  });
});

describe('acknowledgePolicyWildcards with token ARNs and cross-stack references', () => {
  it('acknowledges an imported bucket in an env-agnostic stack (token partition) without token map keys', () => {
    const stack = new Stack(new App(), 'S');
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'my-bucket');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const policy = new iam.Policy(stack, 'P', { roles: [role], statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('in/*')] })] });
    expect(acknowledgePolicyWildcards(policy, 'reads only objects under in/ of this bucket')).toEqual(['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::my-bucket/in/*]']);
    Template.fromStack(stack);
    expect(nagFindings(stack).filter((f) => f.includes('IAM5'))).toEqual([]);
  });

  it('acknowledges the final form of a reference to another stack (resolved only at synth)', () => {
    const app = new App({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'weak' } });
    const storage = new Stack(app, 'Storage', { env: TEST_ENV });
    const here = new Stack(app, 'Here', { env: TEST_ENV });
    const bucket = new s3.Bucket(storage, 'B');
    const role = new iam.Role(here, 'R', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const policy = new iam.Policy(here, 'P', { roles: [role], statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('in/*')] })] });
    acknowledgePolicyWildcards(policy, 'reads only objects under in/ of this bucket');
    app.synth();
    expect(nagFindings(here).filter((f) => f.includes('IAM5'))).toEqual([]);
  });
});
