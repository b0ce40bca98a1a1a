import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { QueueWithDlq, ScaleInMode, SpotFleetAutoscaler } from '../../lib';

/**
 * The worker the example fleet runs: a small shell loop under systemd that takes one job at a time, "does"
 * it (logs the body to the journal) and deletes it, and shuts the instance down after 3 minutes without a
 * message (the fleet scales in with `noTermination`, so leaving is the worker's job). Real workers replace
 * it with their own program and use the IdleExit and SpotInterruptionWatcher helpers
 * (docs/spot-fleet-autoscaler.md).
 */
const EXAMPLE_WORKER = [
  'cat > /usr/local/bin/queue-worker <<"EOF"',
  '#!/bin/bash',
  'set -u',
  'last_work=$(date +%s)',
  'while true; do',
  '  msg=$(aws sqs receive-message --queue-url "$QUEUE_URL" --wait-time-seconds 20 --max-number-of-messages 1 --output json)',
  '  handle=$(echo "$msg" | jq -r ".Messages[0].ReceiptHandle // empty")',
  '  if [ -z "$handle" ]; then',
  '    if [ $(( $(date +%s) - last_work )) -ge 180 ]; then shutdown -h now; exit 0; fi',
  '    continue',
  '  fi',
  '  last_work=$(date +%s)',
  '  echo "$msg" | jq -c ".Messages[0].Body"',
  '  aws sqs delete-message --queue-url "$QUEUE_URL" --receipt-handle "$handle"',
  'done',
  'EOF',
  'chmod +x /usr/local/bin/queue-worker',
  'dnf install -y jq',
  'printf "QUEUE_URL=%s\\nAWS_REGION=%s\\nAWS_DEFAULT_REGION=%s\\n" "$QUEUE_URL" "$AWS_REGION" "$AWS_REGION" > /etc/queue-worker.env',
  'printf "[Service]\\nEnvironmentFile=/etc/queue-worker.env\\nExecStart=/usr/local/bin/queue-worker\\nRestart=always\\n[Install]\\nWantedBy=multi-user.target\\n" > /etc/systemd/system/queue-worker.service',
  'systemctl enable --now queue-worker',
];

/** A queue and a Spot Fleet of workers that scales with it, from zero to ten instances. */
export function addSpotFleetAutoscalerExample(app: App): Stack {
  const stack = new Stack(app, 'SpotFleetAutoscalerExample', {
    description: 'cdk-compute-patterns: Spot Fleet sized from SQS queue depth',
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
  const jobs = new QueueWithDlq(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) });
  jobs.addDeadLetterAlarm();
  const autoscaler = new SpotFleetAutoscaler(stack, 'Autoscaler', {
    queue: jobs.queue,
    fleet: { vpc, workerCommands: EXAMPLE_WORKER },
    backlogPerWorker: 1,
    minWorkers: 0,
    maxWorkers: 10,
    scaleInMode: ScaleInMode.WORKERS_EXIT_WHEN_IDLE,
  });
  autoscaler.addErrorAlarm();
  return stack;
}
