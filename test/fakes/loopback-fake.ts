import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

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
  /**
   * Delayed replies not sent because the client had gone away (it aborted or timed out) before the
   * delay was over: proof that the client really dropped the connection.
   */
  abandonedReplies = 0;
  private readonly scripted: FakeReply[] = [];
  private readonly delays: number[] = [];
  /** Ends pending delays on stop(), so no timer outlives the fake. */
  private stopping = new AbortController();
  private readonly events = new EventEmitter();
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

  /**
   * The next `count` requests are recorded as received on arrival but answered only after `ms`,
   * like a provider that accepts a message and takes its time to say so.
   */
  delayNext(ms: number, count = 1): this {
    for (let i = 0; i < count; i++) this.delays.push(ms);
    return this;
  }

  /** Resolves once `count` requests in all have been received. */
  whenReceived(count: number): Promise<void> {
    return this.when(() => this.received.length >= count);
  }

  /** Resolves once `count` delayed replies in all have been abandoned by their clients. */
  whenAbandoned(count: number): Promise<void> {
    return this.when(() => this.abandonedReplies >= count);
  }

  /** Successful deliveries only. */
  get delivered(): TReceived[] {
    return this.received.filter((request) => request.status === this.acceptedStatus);
  }

  /** Forgets received requests and scripted replies, so one started fake can serve many tests. */
  reset(): void {
    this.received.length = 0;
    this.scripted.length = 0;
    this.delays.length = 0;
    this.abandonedReplies = 0;
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
    this.stopping.abort();
    this.stopping = new AbortController();
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

  private async when(condition: () => boolean): Promise<void> {
    while (!condition()) await once(this.events, 'change');
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A client that goes away mid-request must not take the fake (and the test process) down with it.
    req.on('error', () => {});
    res.on('error', () => {});
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return;
    }
    const delayMs = this.delays.shift();
    let reply: FakeReply;
    try {
      reply = this.handle(req, Buffer.concat(chunks));
    } catch (error) {
      reply = { status: 500, body: { message: `fake failed: ${(error as Error).message}` } };
    }
    this.events.emit('change');
    if (delayMs !== undefined && !(await this.waitForReply(res, delayMs))) return;
    const isRaw = reply.body === undefined || typeof reply.body === 'string' || Buffer.isBuffer(reply.body);
    const payload = isRaw ? (reply.body as string | Buffer | undefined) : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...(isRaw ? {} : { 'content-type': 'application/json' }), ...reply.headers });
    res.end(payload);
  }

  /** Waits `ms` before replying; false when the client went away (or the fake stopped) meanwhile. */
  private async waitForReply(res: ServerResponse, ms: number): Promise<boolean> {
    const clientGone = new AbortController();
    const onClose = () => clientGone.abort();
    res.once('close', onClose);
    if (res.socket?.destroyed !== false) clientGone.abort(); // gone before we started listening
    try {
      await sleep(ms, undefined, { signal: AbortSignal.any([clientGone.signal, this.stopping.signal]) });
    } catch {
      // Aborted: the reply is not sent.
    } finally {
      res.off('close', onClose);
    }
    if (!res.destroyed && !clientGone.signal.aborted) return true;
    if (clientGone.signal.aborted) {
      this.abandonedReplies += 1;
      this.events.emit('change');
    }
    return false;
  }
}
