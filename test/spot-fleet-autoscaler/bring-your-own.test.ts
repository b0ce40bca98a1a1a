// SpotFleetAutoscaler: function props, the one way to schedule, sizes as Size, its function and alarms under
// one name each; the deprecated names still work.
import { Duration, Size } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import { QueueWithDlq, ScalingTarget, SpotFleetAutoscaler, SpotFleetAutoscalerProps } from '../../lib';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';

const SFR = 'sfr-01234567-89ab-cdef-0123-456789abcdef';

describe('SpotFleetAutoscaler with function props, a scaling interval and a root volume Size', () => {
  const stack = newTestStack('AutoscalerYours');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
  const jobs = new QueueWithDlq(stack, 'Jobs', { visibilityTimeout: Duration.minutes(10) });
  const autoscaler = new SpotFleetAutoscaler(stack, 'Autoscaler', {
    queue: jobs.queue,
    fleet: { vpc, workerCommands: ['/opt/worker/start.sh'], rootVolumeSize: Size.gibibytes(40) },
    scalingInterval: Duration.minutes(2),
    autoscalerFunctionProps: { memorySize: 512, timeout: Duration.seconds(45), environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } },
  });
  const alarm = autoscaler.addErrorAlarm();
  const template = templateOf(stack);

  it('merges autoscalerFunctionProps over the defaults', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 45,
      Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_SERVICE_NAME: 'spot-fleet-autoscaler' }) },
    });
  });

  it('runs every scalingInterval', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
  });

  it('sizes the root volume from a Size', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ VolumeSize: 40, Encrypted: true }) })] }),
    });
  });

  it('exposes its function and alarms under one name each', () => {
    expect(autoscaler.autoscalerFunction).toBe(autoscaler.function);
    expect(autoscaler.alarms).toEqual([alarm, autoscaler.throttleAlarm]);
    expect(autoscaler.errorAlarm).toBe(alarm);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });
});

describe('SpotFleetAutoscaler validation of the new props', () => {
  const attempt = (props: Partial<SpotFleetAutoscalerProps>, fleetRootVolume?: { rootVolumeSize?: Size; rootVolumeSizeGiB?: number }) => () => {
    const stack = newTestStack();
    const queue = new QueueWithDlq(stack, 'Jobs').queue;
    const fleet = fleetRootVolume ? { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 1 }), workerCommands: ['start'], ...fleetRootVolume } : undefined;
    return new SpotFleetAutoscaler(stack, 'Autoscaler', { queue, ...(fleet ? { fleet } : { target: ScalingTarget.spotFleetRequest(SFR) }), ...props });
  };

  it.each<[string, Partial<SpotFleetAutoscalerProps>, RegExp]>([
    ['a scalingInterval that is not whole minutes', { scalingInterval: Duration.seconds(90) }, /`scalingInterval` must be a whole number of minutes/],
    ['both scalingInterval and schedule', { scalingInterval: Duration.minutes(1), schedule: events.Schedule.rate(Duration.minutes(1)) }, /`schedule` is the deprecated form of `scalingInterval`/],
    ['an environment variable of the handler', { autoscalerFunctionProps: { environment: { QUEUE_URL: 'x' } } }, /`autoscalerFunctionProps.environment` must not set QUEUE_URL/],
    ['a timeout above 15 minutes', { autoscalerFunctionProps: { timeout: Duration.minutes(20) } }, /`autoscalerFunctionProps.timeout` must be from 1 second to 15 minutes/],
  ])('refuses %s', (_name, props, message) => {
    expect(attempt(props)).toThrow(message);
  });

  it('refuses a root volume that is not whole GiB, and both names with different values', () => {
    expect(attempt({}, { rootVolumeSize: Size.mebibytes(20_000) })).toThrow(/`rootVolumeSize` must be a whole number of GiB .*: use e.g. Size.gibibytes\(20\)/);
    expect(attempt({}, { rootVolumeSize: Size.gibibytes(30), rootVolumeSizeGiB: 20 })).toThrow(/`rootVolumeSizeGiB` is the deprecated name of `rootVolumeSize`/);
  });

  it('still accepts the deprecated schedule and rootVolumeSizeGiB', () => {
    const autoscaler = attempt({ schedule: events.Schedule.rate(Duration.minutes(5)) }, { rootVolumeSizeGiB: 30 })();
    const template = Template.fromStack(autoscaler.node.scope as never);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ VolumeSize: 30 }) })] }),
    });
  });
});
