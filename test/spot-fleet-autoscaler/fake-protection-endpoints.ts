import * as http from 'http';
import { closeServer, listenOnLoopback } from '../helpers/loopback-server';

const readBody = (req: http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
  });

/**
 * A stand-in for the Auto Scaling Query API's SetInstanceProtection on 127.0.0.1 (form-encoded POST, XML
 * answers), reached by the real SDK client through AWS_ENDPOINT_URL_AUTO_SCALING. Keeps each instance's
 * protection and the order of calls.
 */
export class FakeAutoScaling {
  /** `${group}/${instanceId}` → protected. */
  readonly protection = new Map<string, boolean>();
  readonly calls: Record<string, string>[] = [];
  /** Answer the next calls with this error code (e.g. 'AccessDenied'). */
  failWith?: string;
  private readonly server = http.createServer(async (req, res): Promise<void> => {
    const params = Object.fromEntries(new URLSearchParams(await readBody(req)));
    this.calls.push(params);
    const ns = 'xmlns="https://autoscaling.amazonaws.com/doc/2011-01-01/"';
    if (this.failWith) {
      res
        .writeHead(403, { 'content-type': 'text/xml' })
        .end(`<ErrorResponse ${ns}><Error><Type>Sender</Type><Code>${this.failWith}</Code><Message>not allowed</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
      return;
    }
    if (params.Action !== 'SetInstanceProtection') {
      res.writeHead(400, { 'content-type': 'text/xml' }).end(`<ErrorResponse ${ns}><Error><Code>InvalidAction</Code><Message>${params.Action}</Message></Error></ErrorResponse>`);
      return;
    }
    for (let i = 1; params[`InstanceIds.member.${i}`]; i++) {
      this.protection.set(`${params.AutoScalingGroupName}/${params[`InstanceIds.member.${i}`]}`, params.ProtectedFromScaleIn === 'true');
    }
    res.writeHead(200, { 'content-type': 'text/xml' }).end(
      `<SetInstanceProtectionResponse ${ns}><SetInstanceProtectionResult/><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></SetInstanceProtectionResponse>`,
    );
  });
  start = () => listenOnLoopback(this.server);
  stop = () => closeServer(this.server);
  /** The ProtectedFromScaleIn values sent, in order. */
  history = () => this.calls.filter((c) => c.Action === 'SetInstanceProtection').map((c) => c.ProtectedFromScaleIn === 'true');
}

/**
 * A stand-in for the ECS agent's task scale-in protection endpoint ($ECS_AGENT_URI/task-protection/v1/state)
 * on 127.0.0.1, answering as the agent does: `{ protection }`, `{ failure }` or `{ error }`.
 */
export class FakeEcsAgent {
  readonly requests: { ProtectionEnabled?: boolean; ExpiresInMinutes?: number }[] = [];
  protectedNow = false;
  /** Answer the next requests with this `failure` reason (e.g. 'TASK_NOT_VALID'). */
  failWith?: string;
  private readonly server = http.createServer(async (req, res): Promise<void> => {
    if (req.url !== '/task-protection/v1/state' || req.method !== 'PUT') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(await readBody(req));
    this.requests.push(body);
    const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/workers/0123456789abcdef';
    if (this.failWith) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ failure: { Arn: taskArn, Reason: this.failWith } }));
      return;
    }
    if (typeof body.ProtectionEnabled !== 'boolean') {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { Code: 'InvalidParameterException', Message: 'ProtectionEnabled is required' } }));
      return;
    }
    this.protectedNow = body.ProtectionEnabled;
    const expires = new Date(Date.now() + (body.ExpiresInMinutes ?? 120) * 60_000).toISOString();
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ protection: { ExpirationDate: body.ProtectionEnabled ? expires : null, ProtectionEnabled: body.ProtectionEnabled, TaskArn: taskArn } }),
    );
  });
  start = () => listenOnLoopback(this.server);
  stop = () => closeServer(this.server);
  history = () => this.requests.map((r) => r.ProtectionEnabled);
}
