import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeReply {
  status: number;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Base for the provider fakes: an HTTP(S) server on 127.0.0.1 with a random port, a log of what it
 * received, and a queue of scripted replies that take precedence over the fake's normal answer.
 */
export abstract class LoopbackFake<TReceived extends { status: number }> {
  readonly received: TReceived[] = [];
  /** The status the real service answers a successful request with. */
  protected abstract readonly acceptedStatus: number;
  private readonly scripted: FakeReply[] = [];
  private server?: http.Server | https.Server;
  private url?: string;

  get baseUrl(): string {
    if (!this.url) throw new Error(`${this.constructor.name} is not started`);
    return this.url;
  }

  /** The next `count` requests that get past authentication are answered with `status`. */
  failNext(count: number, status: number, body?: unknown): this {
    for (let i = 0; i < count; i++) this.scripted.push({ status, body });
    return this;
  }

  /** The next request that gets past authentication is answered exactly like this. */
  respondWith(status: number, body?: unknown, headers?: Record<string, string>): this {
    this.scripted.push({ status, body, headers });
    return this;
  }

  /** Successful deliveries only. */
  get delivered(): TReceived[] {
    return this.received.filter((request) => request.status === this.acceptedStatus);
  }

  /** Forgets received requests and scripted replies, so one started fake can serve many tests. */
  reset(): void {
    this.received.length = 0;
    this.scripted.length = 0;
  }

  async start(): Promise<string> {
    const server = this.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.url = `${this.scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // The SDKs keep connections alive; without this close() would wait for them to time out.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  protected get scheme(): 'http' | 'https' {
    return 'http';
  }

  protected createServer(listener: (req: IncomingMessage, res: ServerResponse) => void): http.Server | https.Server {
    return http.createServer(listener);
  }

  protected nextScriptedReply(): FakeReply | undefined {
    return this.scripted.shift();
  }

  protected abstract handle(req: IncomingMessage, body: Buffer): FakeReply;

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let reply: FakeReply;
    try {
      reply = this.handle(req, Buffer.concat(chunks));
    } catch (error) {
      reply = { status: 500, body: { message: `fake failed: ${(error as Error).message}` } };
    }
    const isRaw = reply.body === undefined || typeof reply.body === 'string' || Buffer.isBuffer(reply.body);
    const payload = isRaw ? (reply.body as string | Buffer | undefined) : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...(isRaw ? {} : { 'content-type': 'application/json' }), ...reply.headers });
    res.end(payload);
  }
}
