import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { LoopbackFake, type FakeReply } from './loopback-fake.js';

interface SendgridAddress {
  email: string;
  name?: string;
}
export interface SendgridPersonalization {
  to: SendgridAddress[];
  subject?: string;
  [key: string]: unknown;
}

/** One POST /v3/mail/send as the fake understood it. */
export interface ReceivedSendgridMail {
  authorization: string | undefined;
  to: string[];
  from: string;
  subject: string | undefined;
  text: string | undefined;
  html: string | undefined;
  headers: Record<string, string> | undefined;
  /** `reply_to.email` of the Mail Send JSON, when one was given. */
  replyTo: string | undefined;
  personalizations: SendgridPersonalization[];
  /** `custom_args` of the Mail Send JSON: what SendGrid echoes back on its event webhook. */
  customArgs: Record<string, string> | undefined;
  /** The x-message-id the fake answered with (what the platform keeps as the provider's message id). */
  providerMessageId: string | undefined;
  /** The status the fake answered with. */
  status: number;
  /** When the request (its whole body) arrived: the moment the mail left the platform. */
  receivedAt: Date;
}

/** One recipient's email as it would arrive: a request's personalization with its substitutions applied. */
export interface SentEmail {
  to: string;
  subject: string | undefined;
  text: string | undefined;
  html: string | undefined;
  /** `custom_args.delivery_id`, from the personalization or the request. */
  deliveryId: string | undefined;
  providerMessageId: string | undefined;
  receivedAt: Date;
}

/**
 * Speaks enough of SendGrid's v3 Mail Send API for the official SDK: bearer-key auth,
 * 202 + x-message-id on success, SendGrid-shaped `errors` bodies on failure.
 */
export class SendgridFake extends LoopbackFake<ReceivedSendgridMail> {
  private readonly invalidAddresses = new Set<string>();

  constructor(private readonly apiKey: string) {
    super();
  }

  /** SendGrid rejects this address with 400 "Does not contain a valid address." */
  rejectAddress(email: string): this {
    this.invalidAddresses.add(email.toLowerCase());
    return this;
  }

  /** Every accepted email, one per personalization (a campaign sends up to 1,000 in one request). */
  get deliveredEmails(): SentEmail[] {
    return this.delivered.flatMap((mail) =>
      mail.personalizations.map((personalization) => {
        const substitute = (value: string | undefined) =>
          value === undefined
            ? undefined
            : Object.entries((personalization.substitutions as Record<string, string> | undefined) ?? {}).reduce(
                (result, [tag, replacement]) => result.split(tag).join(replacement),
                value,
              );
        const customArgs = { ...mail.customArgs, ...((personalization.custom_args as Record<string, string> | undefined) ?? {}) };
        return {
          to: personalization.to[0].email,
          subject: (personalization.subject as string | undefined) ?? mail.subject,
          text: substitute(mail.text),
          html: substitute(mail.html),
          deliveryId: customArgs.delivery_id,
          providerMessageId: mail.providerMessageId,
          receivedAt: mail.receivedAt,
        };
      }),
    );
  }

  override reset(): void {
    super.reset();
    this.invalidAddresses.clear();
  }

  protected readonly acceptedStatus = 202;

  protected handle(req: IncomingMessage, body: Buffer): FakeReply {
    const receivedAt = new Date();
    if (req.method !== 'POST' || req.url !== '/v3/mail/send') {
      return sendgridError(404, 'The requested resource was not found');
    }
    const authorization = req.headers.authorization;
    if (authorization !== `Bearer ${this.apiKey}`) {
      return sendgridError(401, 'The provided authorization grant is invalid, expired, or revoked');
    }
    const json = JSON.parse(body.toString('utf8')) as {
      personalizations: SendgridPersonalization[];
      from: SendgridAddress;
      subject?: string;
      content?: Array<{ type: string; value: string }>;
      headers?: Record<string, string>;
      reply_to?: SendgridAddress;
      custom_args?: Record<string, string>;
    };
    const to = json.personalizations.flatMap((p) => p.to.map((address) => address.email));
    const invalidAt = to.findIndex((email) => this.invalidAddresses.has(email.toLowerCase()));
    let reply = this.nextScriptedReply();
    if (reply && reply.body === undefined && reply.status >= 400) {
      reply = { ...sendgridError(reply.status, `scripted HTTP ${reply.status}`), ...(reply.headers ? { headers: reply.headers } : {}) };
    }
    reply ??=
      invalidAt >= 0
        ? sendgridError(400, 'Does not contain a valid address.', `personalizations.0.to.${invalidAt}.email`)
        : { status: 202, headers: { 'x-message-id': randomBytes(16).toString('base64url') } };
    this.received.push({
      authorization,
      to,
      from: json.from.name ? `${json.from.name} <${json.from.email}>` : json.from.email,
      subject: json.subject ?? json.personalizations[0]?.subject,
      text: json.content?.find((c) => c.type === 'text/plain')?.value,
      html: json.content?.find((c) => c.type === 'text/html')?.value,
      headers: json.headers,
      replyTo: json.reply_to?.email,
      personalizations: json.personalizations,
      customArgs: json.custom_args,
      providerMessageId: reply.headers?.['x-message-id'],
      status: reply.status,
      receivedAt,
    });
    return reply;
  }
}

function sendgridError(status: number, message: string, field: string | null = null): FakeReply {
  return { status, body: { errors: [{ message, field, help: null }] } };
}
