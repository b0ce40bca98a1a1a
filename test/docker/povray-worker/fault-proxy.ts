/**
 * A pass-through HTTP proxy on 127.0.0.1 in front of one emulator, which answers chosen requests with an
 * injected AWS error instead of forwarding them: the way to make "S3 fails an upload" or "SQS says the
 * message is no longer in flight" happen to the real worker process, unmodified, through its endpoint
 * variable (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_SQS).
 */
import * as http from 'http';
import { closeServer, listenOnLoopback } from '../../helpers/loopback-server';

export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface InjectedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export class FaultProxy {
  /** Every request seen, and whether it was answered by the fault. */
  readonly seen: Array<{ request: ProxiedRequest; injected: boolean }> = [];
  private readonly server: http.Server;

  constructor(
    private readonly target: string,
    private readonly fault: (request: ProxiedRequest) => InjectedResponse | undefined,
  ) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
        const injected = this.fault(request);
        this.seen.push({ request, injected: injected !== undefined });
        if (injected) {
          res.writeHead(injected.status, { ...injected.headers, 'content-length': Buffer.byteLength(injected.body) });
          res.end(injected.body);
          return;
        }
        const upstream = new URL(request.url, this.target);
        const forward = http.request(upstream, { method: request.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forward.on('error', (error) => {
          res.writeHead(502);
          res.end(String(error));
        });
        forward.end(request.body);
      });
    });
  }

  /** Starts listening; resolves with the proxy's endpoint URL. */
  async start(): Promise<string> {
    return listenOnLoopback(this.server);
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}

/** An S3 REST error answer. */
export const s3Error = (status: number, code: string, message: string): InjectedResponse => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>injected</RequestId></Error>`,
});

/** An SQS (AWS JSON protocol) error answer, e.g. MessageNotInflight. */
export const sqsError = (code: string, message: string): InjectedResponse => ({
  status: 400,
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `AWS.SimpleQueueService.${code};Sender` },
  body: JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message }),
});

/** The SQS operation of a JSON-protocol request (`ChangeMessageVisibility`), from its X-Amz-Target header. */
export const sqsOperation = (request: ProxiedRequest): string => String(request.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
