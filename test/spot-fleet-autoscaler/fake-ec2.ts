import * as http from 'http';
import { closeServer, listenOnLoopback } from '../helpers/loopback-server';

/**
 * A stand-in for the few EC2 Query API calls the autoscaler makes (DescribeSpotFleetRequests,
 * ModifySpotFleetRequest, CreateTags, DeleteTags), on 127.0.0.1, answering in EC2's XML so the real SDK
 * client (reached through AWS_ENDPOINT_URL_EC2) parses it. Test-only: one fleet, kept in memory.
 */
export class FakeEc2 {
  readonly calls: Record<string, string>[] = [];
  readonly fleet = { id: 'sfr-00000000-1111-2222-3333-444444444444', state: 'active', targetCapacity: 0, tags: new Map<string, string>() };
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      this.calls.push(params);
      const xml = this.answer(params);
      res.writeHead(xml ? 200 : 400, { 'content-type': 'text/xml' }).end(xml ?? this.error(`unsupported action ${params.Action}`));
    });
  });

  async start(): Promise<string> {
    return listenOnLoopback(this.server);
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  private answer(params: Record<string, string>): string | undefined {
    const ns = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';
    switch (params.Action) {
      case 'DescribeSpotFleetRequests': {
        const tags = [...this.fleet.tags].map(([k, v]) => `<item><key>${k}</key><value>${v}</value></item>`).join('');
        return (
          `<DescribeSpotFleetRequestsResponse ${ns}><requestId>r</requestId><spotFleetRequestConfigSet><item>` +
          `<spotFleetRequestId>${this.fleet.id}</spotFleetRequestId><spotFleetRequestState>${this.fleet.state}</spotFleetRequestState>` +
          `<spotFleetRequestConfig><targetCapacity>${this.fleet.targetCapacity}</targetCapacity><type>maintain</type>` +
          `<iamFleetRole>arn:aws:iam::123456789012:role/fleet</iamFleetRole></spotFleetRequestConfig>` +
          `<tagSet>${tags}</tagSet></item></spotFleetRequestConfigSet></DescribeSpotFleetRequestsResponse>`
        );
      }
      case 'ModifySpotFleetRequest':
        this.fleet.targetCapacity = Number(params.TargetCapacity);
        return `<ModifySpotFleetRequestResponse ${ns}><requestId>r</requestId><return>true</return></ModifySpotFleetRequestResponse>`;
      case 'CreateTags':
        for (let i = 1; params[`Tag.${i}.Key`]; i++) this.fleet.tags.set(params[`Tag.${i}.Key`], params[`Tag.${i}.Value`] ?? '');
        return `<CreateTagsResponse ${ns}><requestId>r</requestId><return>true</return></CreateTagsResponse>`;
      case 'DeleteTags':
        for (let i = 1; params[`Tag.${i}.Key`]; i++) this.fleet.tags.delete(params[`Tag.${i}.Key`]);
        return `<DeleteTagsResponse ${ns}><requestId>r</requestId><return>true</return></DeleteTagsResponse>`;
      default:
        return undefined;
    }
  }

  private error(message: string): string {
    return `<Response><Errors><Error><Code>InvalidAction</Code><Message>${message}</Message></Error></Errors><RequestID>r</RequestID></Response>`;
  }
}
