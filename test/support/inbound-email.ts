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
}

export interface InboundFile {
  filename: string;
  content: Buffer | string;
  contentType: string;
}

export interface InboundAuth {
  /** The shared secret; omitted = no credentials at all. */
  secret?: string;
  /** As the basic-auth password (SendGrid's URL userinfo) or as `?secret=`. */
  via?: 'basic' | 'query';
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
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  const envelope = mail.envelope ?? { to: [firstAddress(mail.to)], from: firstAddress(mail.from) };
  const rawHeaders = [
    `From: ${mail.from}`,
    `To: ${mail.to}`,
    ...(mail.cc ? [`Cc: ${mail.cc}`] : []),
    `Subject: ${mail.subject ?? 'Re: your message'}`,
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
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value);
  if (files.length) {
    form.append(
      'attachment-info',
      JSON.stringify(
        Object.fromEntries(files.map((file, i) => [`attachment${i + 1}`, { filename: file.filename, name: file.filename, type: file.contentType }])),
      ),
    );
    files.forEach((file, i) => form.append(`attachment${i + 1}`, new Blob([Buffer.from(file.content)], { type: file.contentType }), file.filename));
  }
  const url = new URL('/v1/webhooks/email/inbound', baseUrl);
  const headers: Record<string, string> = {};
  if (auth.secret !== undefined) {
    if (auth.via === 'query') url.searchParams.set('secret', auth.secret);
    else headers.authorization = `Basic ${Buffer.from(`sendgrid:${auth.secret}`).toString('base64')}`;
  }
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
