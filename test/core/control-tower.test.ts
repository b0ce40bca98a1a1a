// The Control Tower controls the constructs satisfy by default, checked on the constructs alone (in a stack
// with a known account, as a governed deployment has): the example-app test cannot see CT.LAMBDA.PR.2 pass,
// because its environment-agnostic stacks make the account a token the rule does not accept.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ImageProcessingApi, LambdaEcsWorker } from '../../lib';
import { newTestStack, templateOf } from '../helpers/cdk';
import { failingControls } from '../helpers/control-tower';

const BY_DEFAULT = ['CT.ECS.PR.3', 'CT.ECS.PR.6', 'CT.ECS.PR.7', 'CT.LAMBDA.PR.2', 'CT.CLOUDWATCH.PR.1'];

it(`LambdaEcsWorker and ImageProcessingApi pass ${BY_DEFAULT.join(', ')} with defaults (and alarmActions)`, async () => {
  const stack = newTestStack('ControlTowerDefaults');
  const actions = [new cloudwatchActions.SnsAction(new sns.Topic(stack, 'Oncall'))];
  new LambdaEcsWorker(stack, 'Render', { alarmActions: actions });
  new ImageProcessingApi(stack, 'Images', { alarmActions: actions });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-'));
  const file = path.join(dir, 'template.json');
  fs.writeFileSync(file, JSON.stringify(templateOf(stack).toJSON()));
  const failures = await failingControls(stack.stackName, file);
  fs.rmSync(dir, { recursive: true, force: true });
  expect(failures.filter((f) => BY_DEFAULT.includes(f.control))).toEqual([]);
}, 120_000);
