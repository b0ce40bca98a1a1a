/**
 * A small IMDSv2 client for worker helpers: a session token from `PUT /latest/api/token`, renewed when IMDS
 * answers 401, then `GET /latest/meta-data/...` with it. The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT`
 * (the SDK's variable, which tests point at a stand-in on 127.0.0.1) or the link-local address.
 */

const TOKEN_TTL_SECONDS = 21_600;

export interface ImdsOptions {
  /**
   * IMDS base URL.
   * @default process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254'
   */
  readonly endpoint?: string;
  /** Per-request timeout in ms. @default 2000 */
  readonly requestTimeoutMs?: number;
}

/** One IMDS answer. */
export interface ImdsResponse {
  readonly status: number;
  readonly body: string;
}

export class Imds {
  public readonly endpoint: string;
  private readonly requestTimeoutMs: number;
  private token?: string;

  constructor(options: ImdsOptions = {}) {
    this.endpoint = (options.endpoint ?? process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254').replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 2_000;
  }

  /** GET `/latest/meta-data/<path>`; the status as IMDS gave it (404 is an answer, not an error). */
  public async get(path: string): Promise<ImdsResponse> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = this.token ?? (this.token = await this.fetchToken());
      const response = await fetch(`${this.endpoint}/latest/meta-data/${path}`, {
        headers: { 'X-aws-ec2-metadata-token': token },
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      const body = await response.text();
      if (response.status === 401) {
        this.token = undefined; // expired or revoked: get a new one and ask again
        continue;
      }
      return { status: response.status, body };
    }
    throw new Error('IMDS rejected a fresh session token (HTTP 401 twice)');
  }

  /** GET a value that must exist; `hint` says what to change when it does not. */
  public async text(path: string, hint = ''): Promise<string> {
    const { status, body } = await this.get(path);
    if (status !== 200 || body.trim() === '') throw new Error(`IMDS ${path} answered HTTP ${status}${hint ? `: ${hint}` : ''}`);
    return body.trim();
  }

  private async fetchToken(): Promise<string> {
    const response = await fetch(`${this.endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
      signal: AbortSignal.timeout(this.requestTimeoutMs),
    });
    const token = await response.text();
    if (response.status !== 200 || !token) throw new Error(`IMDSv2 token request answered HTTP ${response.status}`);
    return token;
  }
}
