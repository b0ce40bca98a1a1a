// Running the patterns in production: one `alarmActions` prop reaches every alarm a construct makes (now or
// later), `alarmOverrides` changes a default alarm by its id, and each pattern draws its dashboard unless told not to.
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ImageProcessingApi, LambdaEcsWorker, LambdaTestHarness, MonitoringProps, QueueWithDlq, ScalingTarget, SpotFleetAutoscaler, TableTrigger } from '../../lib';
import { newTestStack, templateOf } from '../helpers/cdk';
import { applyAlarmActions } from '../../lib/core';

type Build = (scope: Construct, props: MonitoringProps) => { alarms: cloudwatch.IAlarm[]; dashboard?: cloudwatch.Dashboard };

const PATTERNS: Record<string, { build: Build; defaultAlarms: string[]; addLater: (c: any) => void }> = {
  LambdaEcsWorker: {
    build: (scope, props) => new LambdaEcsWorker(scope, 'Pattern', props),
    defaultAlarms: ['DeadLetterAlarm', 'LauncherDeadLetterAlarm', 'OldestJobAlarm', 'LauncherErrorAlarm', 'LauncherThrottleAlarm'],
    addLater: (c: LambdaEcsWorker) => c.alarms.push(c.metricJobsWaiting().createAlarm(c, 'MineLater', { threshold: 100, evaluationPeriods: 1 })),
  },
  TableTrigger: {
    build: (scope, props) => new TableTrigger(scope, 'Pattern', { ...props, partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, rules: [{ attribute: 'ssn', formats: [{ name: '9', pattern: '\\d{9}' }], computedAttribute: 'ssnFormat' }] }),
    defaultAlarms: ['DeadLetterAlarm', 'IteratorAgeAlarm', 'ErrorAlarm', 'ThrottleAlarm'],
    addLater: (c: TableTrigger) => c.alarms.push(c.metricAlertsPublished().createAlarm(c, 'MineLater', { threshold: 100, evaluationPeriods: 1 })),
  },
  SpotFleetAutoscaler: {
    build: (scope, props) => {
      const jobs = new QueueWithDlq(scope, 'Jobs', { visibilityTimeout: Duration.minutes(5) });
      return new SpotFleetAutoscaler(scope, 'Pattern', { ...props, queue: jobs.queue, target: ScalingTarget.spotFleetRequest('sfr-0123456789abcdef0') });
    },
    defaultAlarms: ['ErrorAlarm', 'ThrottleAlarm'],
    addLater: (c: SpotFleetAutoscaler) => c.addErrorAlarm('MineLater', { threshold: 5 }),
  },
  ImageProcessingApi: {
    build: (scope, props) => new ImageProcessingApi(scope, 'Pattern', props),
    defaultAlarms: ['ServerErrorAlarm', 'LatencyAlarm', 'ThrottleAlarm'],
    addLater: (c: ImageProcessingApi) => c.addServerErrorAlarm('MineLater', { threshold: 5 }),
  },
  LambdaTestHarness: {
    // With an HTTPS invoker and a gate on a schedule, so every alarm it can make is made.
    build: (scope, props) => new LambdaTestHarness(scope, 'Pattern', {
      ...props,
      allowedHosts: ['api.example.com'],
      deployGate: { testId: 'gate', tests: [{ https: { host: 'api.example.com', path: '/prod/' } }], monitoringSchedule: events.Schedule.rate(Duration.hours(1)) },
    }),
    defaultAlarms: ['TestFailureAlarm', 'HarnessErrorAlarm', 'HarnessThrottleAlarm', 'InvokerThrottleAlarm', 'GateErrorAlarm'],
    addLater: (c: LambdaTestHarness) => c.addTestFailureAlarm('MineLater', { threshold: 5 }),
  },
};

const alarmsOf = (template: Template) => Object.entries(template.findResources('AWS::CloudWatch::Alarm'));

describe.each(Object.entries(PATTERNS))('%s in production', (name, pattern) => {
  const stack = newTestStack(`${name}Monitored`);
  const topic = new sns.Topic(stack, 'Oncall');
  const construct = pattern.build(stack, {
    alarmActions: [new cloudwatchActions.SnsAction(topic)],
    alarmOverrides: { [pattern.defaultAlarms[0]]: { threshold: 7, evaluationPeriods: 4 } },
  });
  pattern.addLater(construct);
  const template = templateOf(stack);
  const topicRef = stack.resolve(topic.topicArn);

  it('makes its default alarms and lists them all in `alarms`', () => {
    const ids = construct.alarms.map((alarm) => (alarm as cloudwatch.Alarm).node.id);
    expect(ids.slice(0, pattern.defaultAlarms.length).sort()).toEqual([...pattern.defaultAlarms].sort());
  });

  it('gives every alarm it made the alarm actions, including one added after the constructor', () => {
    const alarms = alarmsOf(template);
    expect(alarms.length).toBeGreaterThan(pattern.defaultAlarms.length);
    for (const [logicalId, alarm] of alarms) {
      expect({ logicalId, actions: alarm.Properties.AlarmActions }).toEqual({ logicalId, actions: [topicRef] });
    }
  });

  it('applies alarmOverrides to the alarm they name', () => {
    const overridden = (construct.alarms.find((a) => (a as cloudwatch.Alarm).node.id === pattern.defaultAlarms[0]) as cloudwatch.Alarm);
    const resource = template.toJSON().Resources[stack.getLogicalId(overridden.node.defaultChild as cloudwatch.CfnAlarm)];
    expect(resource.Properties).toMatchObject({ Threshold: 7, EvaluationPeriods: 4 });
  });

  it('draws one dashboard showing the state of all its alarms, the later one too', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0].Properties.DashboardBody);
    const missing = alarmsOf(template).map(([logicalId]) => logicalId).filter((logicalId) => !body.includes(`"${logicalId}"`));
    expect(missing).toEqual([]);
    expect(construct.dashboard).toBeDefined();
  });
});

describe.each(Object.entries(PATTERNS))('%s without monitoring props', (name, pattern) => {
  it('draws no dashboard with `dashboard: false`, and its alarms have no actions', () => {
    const stack = newTestStack(`${name}Quiet`);
    const construct = pattern.build(stack, { dashboard: false });
    const template = templateOf(stack);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(construct.dashboard).toBeUndefined();
    for (const [, alarm] of alarmsOf(template)) expect(alarm.Properties.AlarmActions).toBeUndefined();
  });

  it('refuses alarmOverrides naming an alarm it does not make, and lists the ones it does', () => {
    const stack = newTestStack(`${name}Typo`);
    expect(() => pattern.build(stack, { alarmOverrides: { OldJobAlarm: { threshold: 1 } } })).toThrow(
      new RegExp(`\`alarmOverrides\` names no alarm of this construct: OldJobAlarm \\(its alarms: .*${pattern.defaultAlarms[0]}`),
    );
  });
});

describe('applyAlarmActions', () => {
  it('adds each action once, however often it is applied', () => {
    const stack = newTestStack('Twice');
    const topic = new sns.Topic(stack, 'Oncall');
    const action = new cloudwatchActions.SnsAction(topic);
    const autoscaler = PATTERNS.SpotFleetAutoscaler.build(stack, { alarmActions: [action], dashboard: false });
    applyAlarmActions(autoscaler as unknown as Construct, [action]);
    for (const [, alarm] of alarmsOf(templateOf(stack))) expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });

  it('returns the default alarm when add<What>Alarm() is called again as before, and refuses changes there', () => {
    const stack = newTestStack('Again');
    const images = new ImageProcessingApi(stack, 'Images', { dashboard: false });
    expect(images.addServerErrorAlarm()).toBe(images.serverErrorAlarm);
    expect(() => images.addServerErrorAlarm('ServerErrorAlarm', { threshold: 3 })).toThrow(/alarmOverrides: \{ ServerErrorAlarm/);
  });
});
