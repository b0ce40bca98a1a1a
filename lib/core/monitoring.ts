import { Aspects, Duration, IAspect } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { AlarmOverrides } from './alarm-overrides';

/**
 * What every pattern takes to run in production: where its alarms go, and whether it draws its dashboard.
 * Each pattern's props extend it, so the two props read the same on every construct.
 */
export interface MonitoringProps {
  /**
   * What runs when any alarm of this construct goes off: every alarm the construct creates, now or later
   * (`add<What>Alarm()`), gets these actions. Pass `new cloudwatch_actions.SnsAction(topic)` for an SNS
   * topic (e-mail, chat, pager subscriptions), or any other `IAlarmAction`.
   * @default - no actions: the alarms change state in the console and notify no one
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /**
   * Draw this construct's CloudWatch dashboard ("is it healthy, is it keeping up, what does it cost").
   * A dashboard costs $3 a month beyond the account's first three.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Changes to the alarms the construct creates by default, by the alarm's id (the name of its property,
   * capitalised: `OldestJobAlarm` for `oldestJobAlarm`), e.g. `{ OldestJobAlarm: { threshold: 600 } }`.
   * An id the construct does not create is an error.
   * @default - the construct's thresholds, stated in each alarm property's documentation
   */
  readonly alarmOverrides?: { [alarmId: string]: AlarmOverrides };
}

/** Alarms that already received the actions of an aspect, so two aspects (or one applied twice) never add an ARN twice. */
const ACTIONS_APPLIED = new WeakMap<IConstruct, Set<cloudwatch.IAlarmAction>>();

/** Adds `actions` to every alarm (and composite alarm) under the scope, whenever it was created. */
class AlarmActionsAspect implements IAspect {
  constructor(private readonly actions: cloudwatch.IAlarmAction[]) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof cloudwatch.AlarmBase)) return;
    const applied = ACTIONS_APPLIED.get(node) ?? new Set<cloudwatch.IAlarmAction>();
    ACTIONS_APPLIED.set(node, applied);
    const fresh = this.actions.filter((action) => !applied.has(action));
    fresh.forEach((action) => applied.add(action));
    if (fresh.length > 0) node.addAlarmAction(...fresh);
  }
}

/**
 * Gives every alarm created under `scope` (by the constructor or by a later `add<What>Alarm()` call) the
 * actions. An aspect rather than a loop over `alarms`, so alarms made after the constructor are covered too.
 * One line per pattern: `applyAlarmActions(this, props.alarmActions)`.
 */
export function applyAlarmActions(scope: IConstruct, actions: cloudwatch.IAlarmAction[] | undefined): void {
  if (!actions || actions.length === 0) return;
  Aspects.of(scope).add(new AlarmActionsAspect([...actions]));
}

/** Whether the construct draws its dashboard (`dashboard` defaults to true). */
export function wantsDashboard(props: MonitoringProps): boolean {
  return props.dashboard ?? true;
}

/** An alarm on a count that should stay at zero: `threshold` or more in `evaluationPeriods` periods in a row. */
export function countAlarm(
  scope: Construct,
  id: string,
  metric: cloudwatch.IMetric,
  alarmDescription: string,
  defaults: { evaluationPeriods?: number; threshold?: number },
  overrides: AlarmOverrides = {},
): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    metric,
    alarmDescription,
    threshold: defaults.threshold ?? 1,
    evaluationPeriods: defaults.evaluationPeriods ?? 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    ...overrides,
  });
}

/**
 * Throttled invocations of `fn` (any, in 5-minute periods): the account's or the function's concurrency
 * is exhausted, so work waits or (for synchronous callers) is refused.
 */
export function functionThrottleAlarm(scope: Construct, id: string, fn: lambda.IFunction, overrides: AlarmOverrides = {}): cloudwatch.Alarm {
  return countAlarm(
    scope,
    id,
    fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }),
    `${fn.node.path} was throttled: its concurrency (or the account's) is used up, so work waits or is refused.`,
    {},
    overrides,
  );
}

/** An alarm on a bound over a time or size metric (`GREATER_THAN_THRESHOLD`), e.g. p95 latency or iterator age. */
export function boundAlarm(
  scope: Construct,
  id: string,
  metric: cloudwatch.IMetric,
  alarmDescription: string,
  threshold: number,
  overrides: AlarmOverrides = {},
): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    metric,
    alarmDescription,
    threshold,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    ...overrides,
  });
}

/** What a pattern's dashboard shows: rows of widgets under a title line, with its alarms' states on top. */
export interface PatternDashboardSpec {
  /** What the construct is, e.g. "LambdaEcsWorker". */
  readonly pattern: string;
  /** The construct's `alarms` array itself: alarms added later appear too (the body is rendered at synth). */
  readonly alarms: cloudwatch.IAlarm[];
  /** Rows of widgets: health, keeping up, cost drivers. */
  readonly rows: cloudwatch.IWidget[][];
}

/**
 * One dashboard layout for every pattern: a title line naming the construct, the state of all its alarms,
 * then its rows. The name is left to CloudFormation (unique per stack and region).
 */
export function newPatternDashboard(construct: Construct, spec: PatternDashboardSpec): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(construct, 'Dashboard', {
    defaultInterval: Duration.hours(3),
  });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `# ${spec.pattern} ${construct.node.path}\nHealthy? (alarms) · Keeping up? (backlog, age, latency) · What does it cost? (the usage that is billed)`,
      width: 18,
      height: 2,
    }),
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: spec.alarms, width: 6, height: 2 }),
  );
  for (const row of spec.rows) dashboard.addWidgets(...row);
  return dashboard;
}

/** A graph widget of one width for every dashboard (four per row). */
export function graph(title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], leftLabel?: string): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, right, width: 6, height: 6, leftYAxis: leftLabel ? { label: leftLabel, showUnits: false } : undefined });
}

/**
 * The `alarmOverrides` of a construct, handed out per alarm id; ids that name no alarm of the construct are
 * an error (a typo would otherwise leave a threshold silently unchanged).
 */
export class AlarmTuning {
  private readonly used = new Set<string>();

  constructor(private readonly owner: string, private readonly overrides: Record<string, AlarmOverrides> = {}) {}

  /** The user's changes to the alarm with this construct id (empty when none). */
  public for(alarmId: string): AlarmOverrides {
    this.used.add(alarmId);
    return this.overrides[alarmId] ?? {};
  }

  /** Throws when `alarmOverrides` names an alarm the construct did not create. */
  public assertAllKnown(): void {
    const unknown = Object.keys(this.overrides).filter((id) => !this.used.has(id));
    if (unknown.length > 0) {
      throw new Error(
        `${this.owner}: \`alarmOverrides\` names no alarm of this construct: ${unknown.join(', ')} (its alarms: ${[...this.used].join(', ')})`,
      );
    }
  }
}

/**
 * For `add<What>Alarm()` on an alarm the construct now makes by default: called again with the default id
 * and no changes, it returns the existing alarm (code written before the alarm became a default keeps
 * working); with changes, it says where they go instead.
 */
export function defaultAlarmAgain(scope: Construct, id: string, overrides: AlarmOverrides): cloudwatch.Alarm | undefined {
  const existing = scope.node.tryFindChild(id);
  if (!existing) return undefined;
  if (Object.keys(overrides).length > 0) {
    throw new Error(`'${scope.node.path}' already has the alarm '${id}' (it is made by default): change it with \`alarmOverrides: { ${id}: {...} }\`, or give this one another id`);
  }
  return existing as cloudwatch.Alarm;
}
