import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { LoopbackFake, type FakeReply } from './loopback-fake.js';

/** One POST .../Messages.json as the fake understood it. */
export interface ReceivedTwilioMessage {
  accountSid: string;
  to: string;
  from: string;
  body: string;
  /** The status the fake answered with. */
  status: number;
  /** When it arrived (epoch ms). */
  at: number;
}

/** Twilio error codes the fake can answer with, and Twilio's wording for them. */
const TWILIO_ERRORS: Record<number, (to: string) => string> = {
  21211: (to) => `The 'To' number ${to} is not a valid phone number.`,
  21610: () => 'Attempt to send to unsubscribed recipient',
  21614: () => "'To' number is not a valid mobile number",
};

/**
 * Speaks enough of Twilio's 2010-04-01 REST API for the official SDK to send SMS:
 * Basic auth with AccountSid:AuthToken, form-encoded To/From/Body, 201 with a Message resource.
 */
export class TwilioFake extends LoopbackFake<ReceivedTwilioMessage> {
  private readonly rejectedNumbers = new Map<string, number>();

  constructor(
    readonly accountSid: string,
    private readonly authToken: string,
  ) {
    super();
  }

  /** Twilio answers 400 with `code` (21211 invalid 'To', 21610 unsubscribed, 21614 not a mobile) for this number. */
  rejectNumber(phone: string, code: keyof typeof TWILIO_ERRORS = 21211): this {
    this.rejectedNumbers.set(phone, code);
    return this;
  }

  override reset(): void {
    super.reset();
    this.rejectedNumbers.clear();
  }

  protected readonly acceptedStatus = 201;

  protected handle(req: IncomingMessage, body: Buffer): FakeReply {
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return twilioError(404, 20404, 'The requested resource was not found');
    const accountSid = decodeURIComponent(match[1]!);
    const expectedAuth = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expectedAuth || accountSid !== this.accountSid) {
      return twilioError(401, 20003, 'Authenticate');
    }
    const form = new URLSearchParams(body.toString('utf8'));
    const message = { accountSid, to: form.get('To') ?? '', from: form.get('From') ?? '', body: form.get('Body') ?? '' };
    const rejectionCode = this.rejectedNumbers.get(message.to);
    let reply = this.nextScriptedReply();
    if (reply && reply.body === undefined && reply.status >= 400) reply = twilioError(reply.status, 20000 + reply.status, `scripted HTTP ${reply.status}`);
    reply ??= rejectionCode ? twilioError(400, rejectionCode, TWILIO_ERRORS[rejectionCode]!(message.to)) : { status: 201, body: this.messageResource(message) };
    this.received.push({ ...message, status: reply.status, at: Date.now() });
    return reply;
  }

  private messageResource(message: Omit<ReceivedTwilioMessage, 'status' | 'at'>) {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const now = new Date().toUTCString().replace('GMT', '+0000');
    return {
      sid,
      account_sid: message.accountSid,
      to: message.to,
      from: message.from,
      body: message.body,
      status: 'queued',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      num_segments: String(Math.max(1, Math.ceil(message.body.length / 153))),
      date_created: now,
      date_updated: now,
      date_sent: null,
      price: null,
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${message.accountSid}/Messages/${sid}.json`,
    };
  }
}

function twilioError(status: number, code: number, message: string): FakeReply {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}
