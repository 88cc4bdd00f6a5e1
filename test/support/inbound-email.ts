import { randomUUID } from 'node:crypto';
import * as http from 'node:http';

/** One email as SendGrid Inbound Parse posts it (the "raw" option off): headers parsed into form fields. */
export interface InboundParseMail {
  /** The From header, e.g. `Alice Member <alice@example.org>`. */
  from: string;
  /** The To header. */
  to: string;
  cc?: string;
  subject?: string;
  text?: string;
  html?: string;
  /** SendGrid's SPF verdict: pass, softfail, fail, none… */
  SPF?: string;
  /** SendGrid's DKIM verdicts, e.g. `{@example.org : pass}`. */
  dkim?: string;
  /** The SMTP envelope; by default to = the To address, from = the From address. */
  envelope?: { to: string[]; from: string };
  /** The Message-ID header, e.g. `<CAF=abc@mail.gmail.com>`; by default a new one for each call. */
  messageId?: string;
}

export interface InboundFile {
  filename: string;
  content: Buffer | string;
  contentType: string;
}

export interface InboundAuth {
  /** The shared secret; omitted = no credentials at all. */
  secret?: string;
  /** As the basic-auth password (SendGrid's URL userinfo), or as `?secret=` (no longer accepted). */
  via?: 'basic' | 'query';
  /** The basic-auth user name; by default `sendgrid`. */
  user?: string;
}

export interface InboundPostOptions {
  /** Send the files before the text fields (SendGrid sends the fields first). */
  filesFirst?: boolean;
}

const INBOUND_PATH = '/v1/webhooks/email/inbound';

/** The webhook's URL and request headers for these credentials, as SendGrid would present them. */
function credentialsFor(baseUrl: string, auth: InboundAuth): { url: URL; headers: Record<string, string> } {
  const url = new URL(INBOUND_PATH, baseUrl);
  const headers: Record<string, string> = {};
  if (auth.secret !== undefined) {
    if (auth.via === 'query') url.searchParams.set('secret', auth.secret);
    else headers.authorization = `Basic ${Buffer.from(`${auth.user ?? 'sendgrid'}:${auth.secret}`).toString('base64')}`;
  }
  return { url, headers };
}

const firstAddress = (header: string) => /<([^<>]+)>\s*$/.exec(header)?.[1] ?? header.trim();

/**
 * Posts a multipart/form-data request to the inbound email webhook the way SendGrid Inbound Parse does:
 * headers, envelope, SPF, dkim, charsets, text and html as fields; attached files as attachment1…N with
 * their description in `attachment-info`.
 */
export async function postInboundEmail(
  baseUrl: string,
  mail: InboundParseMail,
  auth: InboundAuth = {},
  files: InboundFile[] = [],
  options: InboundPostOptions = {},
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  const envelope = mail.envelope ?? { to: [firstAddress(mail.to)], from: firstAddress(mail.from) };
  const rawHeaders = [
    `From: ${mail.from}`,
    `To: ${mail.to}`,
    ...(mail.cc ? [`Cc: ${mail.cc}`] : []),
    `Subject: ${mail.subject ?? 'Re: your message'}`,
    `Message-ID: ${mail.messageId ?? `<${randomUUID()}@mail.example.org>`}`,
    'MIME-Version: 1.0',
  ].join('\n');
  const fields: Record<string, string | undefined> = {
    headers: rawHeaders,
    dkim: mail.dkim,
    'content-ids': '{}',
    to: mail.to,
    cc: mail.cc,
    html: mail.html,
    from: mail.from,
    text: mail.text,
    sender_ip: '209.85.220.41',
    envelope: JSON.stringify(envelope),
    attachments: String(files.length),
    subject: mail.subject ?? 'Re: your message',
    charsets: JSON.stringify({ to: 'UTF-8', from: 'UTF-8', subject: 'UTF-8', text: 'UTF-8', html: 'UTF-8' }),
    SPF: mail.SPF,
  };
  const appendFiles = () =>
    files.forEach((file, i) => form.append(`attachment${i + 1}`, new Blob([Buffer.from(file.content)], { type: file.contentType }), file.filename));
  if (options.filesFirst) appendFiles();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value);
  if (files.length) {
    form.append(
      'attachment-info',
      JSON.stringify(
        Object.fromEntries(files.map((file, i) => [`attachment${i + 1}`, { filename: file.filename, name: file.filename, type: file.contentType }])),
      ),
    );
    if (!options.filesFirst) appendFiles();
  }
  const { url, headers } = credentialsFor(baseUrl, auth);
  const response = await fetch(url, { method: 'POST', headers, body: form });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

export interface UnfinishedPost {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** The answer came while the body was still being sent: the server answered without reading it. */
  answeredWhileSending: boolean;
  /** How much of the body had been handed to the socket when the answer came. */
  bytesSent: number;
}

/**
 * A multipart post to the webhook as an attacker would make it: a file part of `fileBytes` (below the
 * attachment limit, so nothing but the end of the body makes the server answer once it reads it), then the
 * body is held open for `holdMs` before it is finished. A server that reads the body before it decides
 * answers only after that; one that decides first answers while the body is still open.
 */
export function postUnfinishedMultipart(
  baseUrl: string,
  auth: InboundAuth,
  { fileBytes = 8 * 1024 * 1024, holdMs = 10_000 }: { fileBytes?: number; holdMs?: number } = {},
): Promise<UnfinishedPost> {
  const { url, headers } = credentialsFor(baseUrl, auth);
  const boundary = `----tidings-${randomUUID()}`;
  const chunk = Buffer.alloc(256 * 1024, 0x41);
  return new Promise((resolve, reject) => {
    let finished = false;
    let answered = false;
    let bytesSent = 0;
    let release: () => void = () => undefined;
    const request = http.request(url, { method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` } });
    const send = (data: Buffer | string) => {
      bytesSent += Buffer.byteLength(data);
      return request.write(data) ? Promise.resolve() : new Promise<void>((drained) => request.once('drain', drained));
    };
    request.on('response', (response) => {
      answered = true;
      const answeredWhileSending = !finished;
      release();
      const chunks: Buffer[] = [];
      response.on('data', (data: Buffer) => chunks.push(data));
      response.on('end', () => {
        request.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: response.statusCode!, headers: response.headers, body, answeredWhileSending, bytesSent });
      });
    });
    // Once answered, the server may close while we still write: that is not a failure.
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    void (async () => {
      await send(`--${boundary}\r\nContent-Disposition: form-data; name="from"\r\n\r\nMallory <mallory@evil.test>\r\n`);
      await send(`--${boundary}\r\nContent-Disposition: form-data; name="attachment1"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
      for (let sent = 0; sent < fileBytes && !answered; sent += chunk.length) await send(chunk);
      if (!answered) {
        await new Promise<void>((held) => {
          const timer = setTimeout(held, holdMs);
          release = () => {
            clearTimeout(timer);
            held();
          };
        });
      }
      if (answered) return;
      finished = true;
      request.end(`\r\n--${boundary}--\r\n`);
    })().catch((error: Error) => {
      if (!answered) reject(error);
    });
  });
}
