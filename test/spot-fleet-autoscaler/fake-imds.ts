import * as http from 'http';
import type { InstanceActionNotice } from '../../lambda/spot-fleet-autoscaler/worker/spot-interruption';
import { closeServer, listenOnLoopback } from '../helpers/loopback-server';

/**
 * A stand-in for IMDSv2 on 127.0.0.1: a token via PUT /latest/api/token, then, with that token,
 * instance-id, instance tags (when enabled) and spot/instance-action (404 until `notice` is set).
 */
export class FakeImds {
  notice?: InstanceActionNotice;
  instanceId = 'i-0123456789abcdef0';
  /** Instance tags as IMDS shows them with instance metadata tags on; undefined = tags off (404). */
  tags?: Record<string, string> = { 'aws:autoscaling:groupName': 'workers' };
  tokensIssued = 0;
  instanceActionReads = 0;
  /** Answer the next instance-action read with 401 (an expired token). */
  expireNextToken = false;
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly valid = new Set<string>();

  async start(): Promise<string> {
    return listenOnLoopback(this.server);
  }
  stop(): Promise<void> {
    return closeServer(this.server);
  }
  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return res.writeHead(400).end();
      const token = `token-${++this.tokensIssued}`;
      this.valid.add(token);
      return res.writeHead(200).end(token);
    }
    if (req.method !== 'GET' || !req.url?.startsWith('/latest/meta-data/')) return res.writeHead(404).end();
    const token = String(req.headers['x-aws-ec2-metadata-token'] ?? '');
    const path = req.url.slice('/latest/meta-data/'.length);
    if (path === 'spot/instance-action') {
      this.instanceActionReads += 1;
      if (this.expireNextToken) {
        this.expireNextToken = false;
        this.valid.delete(token);
      }
    }
    if (!this.valid.has(token)) return res.writeHead(401).end();
    if (path === 'spot/instance-action') {
      if (!this.notice) return res.writeHead(404).end('Not Found');
      return res.writeHead(200, { 'content-type': 'text/plain' }).end(JSON.stringify(this.notice));
    }
    if (path === 'instance-id') return res.writeHead(200).end(this.instanceId);
    if (path.startsWith('tags/instance/')) {
      const value = this.tags?.[decodeURIComponent(path.slice('tags/instance/'.length))];
      return value === undefined ? res.writeHead(404).end('Not Found') : res.writeHead(200).end(value);
    }
    return res.writeHead(404).end('Not Found');
  }
}
