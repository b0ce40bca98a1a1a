import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildExampleApp } from '../../bin/example-app';
import { nagFindings, newTestApp } from '../helpers/cdk';
import { ControlFailure, controlIdsByRule, failingControls } from '../helpers/control-tower';

/**
 * The strict example (bin/stacks/strict.ts) sets every prop that satisfies a control. What still fails on it is
 * documented as not applicable (docs/compliance.md, "The strict example"), and only on these resources (logical
 * ids): a data bucket without SSE-KMS, or a log group without a key, fails the test.
 */
const STRICT_NOT_APPLICABLE: Record<string, RegExp> = {
  // Every function: none needs a VPC (IAM scopes what they reach).
  'CT.LAMBDA.PR.3': /Function|Handler|Provider|CDKBucketDeployment/,
  // Dead-letter queues need no dead-letter queue.
  'CT.SQS.PR.1': /DeadLetterQueue/,
  // Log buckets: access logs of the log bucket would loop; S3 access logs and CloudFront logs go to SSE-S3 buckets.
  'CT.S3.PR.2': /^(\w+AccessLogs|ImagesDistributionLogs)[0-9A-F]{8}$/,
  'CT.S3.PR.10': /^(\w+AccessLogs|ImagesDistributionLogs)[0-9A-F]{8}$/,
  // Log buckets (write-once logs) and the image bucket (transient copies that expire in a day) are unversioned.
  'CT.S3.PR.11': /^(\w+AccessLogs|ImagesDistributionLogs|ImagesImageStorageImagesBucket)[0-9A-F]{8}$/,
  // CDK writes notifications through a custom resource the rule cannot see; Object Lock would forbid overwrites.
  'CT.S3.PR.4': /Bucket|AccessLogs|DistributionLogs/,
  'CT.S3.PR.9': /Bucket|AccessLogs|DistributionLogs/,
  // The page has one origin.
  'CT.CLOUDFRONT.PR.4': /^ImagesDistribution[0-9A-F]{8}$/,
};

/**
 * AWS Control Tower's proactive controls that fail on the example app, by stack. Each is explained in
 * docs/compliance.md ("AWS Control Tower proactive controls"): the prop that satisfies it, or why it does not
 * apply. A control that starts failing (a regression) or stops failing (update this list and the docs) fails the test.
 */
const EXPECTED_FAILING_CONTROLS: Record<string, string[]> = {
  ExampleAlarms: ['CT.KMS.PR.3'],
  // The harness's three functions and their log groups, and aws-cdk-lib's triggers provider (CT.LAMBDA.PR.3).
  LambdaTestHarnessExample: ['CT.CLOUDWATCH.PR.2', 'CT.CLOUDWATCH.PR.3', 'CT.LAMBDA.PR.3'],
  ImageProcessingApiExample: [
    'CT.CLOUDFRONT.PR.4', 'CT.CLOUDFRONT.PR.6', 'CT.CLOUDFRONT.PR.7', 'CT.CLOUDFRONT.PR.9', 'CT.CLOUDWATCH.PR.2', 'CT.CLOUDWATCH.PR.3',
    'CT.LAMBDA.PR.2', 'CT.LAMBDA.PR.3', 'CT.S3.PR.10', 'CT.S3.PR.11', 'CT.S3.PR.2', 'CT.S3.PR.3', 'CT.S3.PR.4', 'CT.S3.PR.6', 'CT.S3.PR.9',
  ],
  LambdaEcsWorkerExample: [
    'CT.CLOUDWATCH.PR.2', 'CT.CLOUDWATCH.PR.3', 'CT.EC2.PR.11', 'CT.LAMBDA.PR.3', 'CT.S3.PR.10', 'CT.S3.PR.11', 'CT.S3.PR.2', 'CT.S3.PR.3',
    'CT.S3.PR.4', 'CT.S3.PR.6', 'CT.S3.PR.9', 'CT.SQS.PR.1',
  ],
  SpotFleetAutoscalerExample: [
    'CT.AUTOSCALING.PR.1', 'CT.AUTOSCALING.PR.11', 'CT.CLOUDWATCH.PR.2', 'CT.CLOUDWATCH.PR.3', 'CT.EC2.PR.10', 'CT.EC2.PR.11', 'CT.ECS.PR.9', 'CT.LAMBDA.PR.3',
    'CT.SQS.PR.1',
  ],
  TableTriggerExample: ['CT.CLOUDWATCH.PR.2', 'CT.CLOUDWATCH.PR.3', 'CT.LAMBDA.PR.3', 'CT.SQS.PR.1'],
  StrictExample: Object.keys(STRICT_NOT_APPLICABLE),
};

/** Controls that pass on every stack of the example app: real weaknesses, fixed by default or by the example's props. */
const PASSING_CONTROLS = ['CT.ECS.PR.3', 'CT.ECS.PR.6', 'CT.ECS.PR.7', 'CT.CLOUDWATCH.PR.1', 'CT.APIGATEWAY.PR.1'];

describe('example app (bin/app.ts)', () => {
  // The one place the whole app is synthesized with aws-cdk-lib's CloudFormation validator ON, as
  // `cdk synth` runs it; other tests synthesize single stacks.
  let app: App;
  beforeAll(() => {
    expect(process.env.CDK_VALIDATION).not.toBe('false');
    app = buildExampleApp(newTestApp());
  });

  it('synthesizes every stack with the validator and cdk-nag as plugins, and no violations', () => {
    const assembly = app.synth();
    expect(assembly.stacks.length).toBeGreaterThan(0);
    for (const stack of assembly.stacks) expect(Object.keys(stack.template.Resources ?? {}).length).toBeGreaterThan(0);
    // No context lookups (the strict example has a concrete environment): `cdk synth` needs no AWS credentials.
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  it('has no unacknowledged cdk-nag findings, each reported by rule id and construct path', () => {
    // Every resource counts here: the example stacks' own resources (VPCs, queues) are what users deploy and
    // copy, and `cdk synth` checks them too. Unit tests leave their scaffolding out (nagFindings' default).
    expect(nagFindings(app, { includeScaffolding: true })).toEqual([]);
  });

  describe("AWS Control Tower's proactive controls (cfn-guard)", () => {
    let failures: ControlFailure[];
    beforeAll(async () => {
      const assembly: CloudAssembly = app.synth();
      const byRule = controlIdsByRule();
      failures = (await Promise.all(assembly.stacks.map((stack) => failingControls(stack.stackName, stack.templateFullPath, byRule)))).flat();
    }, 300_000);

    it('fail exactly where docs/compliance.md says they do', () => {
      const failing: Record<string, string[]> = {};
      for (const failure of failures) (failing[failure.stack] ??= []).push(failure.control);
      for (const controls of Object.values(failing)) controls.sort();
      const expected = Object.fromEntries(Object.entries(EXPECTED_FAILING_CONTROLS).map(([stack, controls]) => [stack, [...controls].sort()]));
      expect(failing).toEqual(expected);
    });

    it(`pass on every stack for ${PASSING_CONTROLS.join(', ')}`, () => {
      expect(failures.filter((failure) => PASSING_CONTROLS.includes(failure.control))).toEqual([]);
    });

    it('fail on the strict example only where they do not apply, on the resources docs/compliance.md names', () => {
      const strict = failures.filter((failure) => failure.stack === 'StrictExample');
      expect(strict.map((failure) => failure.control).sort()).toEqual(Object.keys(STRICT_NOT_APPLICABLE).sort());
      const elsewhere = strict.flatMap(({ control, resources }) => resources.filter((id) => !STRICT_NOT_APPLICABLE[control].test(id)).map((id) => `${control} on ${id}`));
      expect(elsewhere).toEqual([]);
      const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'compliance.md'), 'utf8');
      const section = docs.slice(docs.indexOf('### The strict example'));
      const end = section.indexOf('\n## ');
      const rows = [...(end < 0 ? section : section.slice(0, end)).matchAll(/^\|[^\n]*/gm)];
      const listed = [...new Set([...rows].flatMap((row) => row[0].match(/CT\.[A-Z0-9]+\.PR\.\d+/g) ?? []))];
      expect(listed.sort()).toEqual(Object.keys(STRICT_NOT_APPLICABLE).sort());
    });

    it('are each explained in docs/compliance.md', () => {
      const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'compliance.md'), 'utf8');
      const section = docs.slice(docs.indexOf('## AWS Control Tower proactive controls'));
      const undocumented = [...new Set(failures.map((failure) => failure.control))].filter((control) => !new RegExp(`^\\|[^\\n]*\\b${control.replace(/\./g, '\\.')}\\b`, 'm').test(section));
      expect(undocumented).toEqual([]);
    });
  });
});
