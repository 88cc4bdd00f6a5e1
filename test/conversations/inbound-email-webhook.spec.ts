import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AttachmentStorage, type IncomingUpload } from '../../libs/attachments/attachment-storage.js';
import { APP_CONFIG, loadConfig } from '../../libs/config/app-config.js';
import { InboundEmailAuthGuard } from '../../libs/conversations/inbound-email-auth.guard.js';
import { InboundEmailController } from '../../libs/conversations/inbound-email.controller.js';
import { InboundEmailUploadInterceptor } from '../../libs/conversations/inbound-email-upload.interceptor.js';
import { emailMessageIdOf, InboundEmailService, type InboundParsePost } from '../../libs/conversations/inbound-email.service.js';
import { ApiErrorFilter } from '../../libs/http/api-error.filter.js';
import { postInboundEmail, postUnfinishedMultipart, type InboundParseMail } from '../support/inbound-email.js';

const SECRET = 'inbound-parse-secret-0123456789';
const MB = 1024 * 1024;

/** What reached the service: nothing should, unless the post was let in and read within the limits. */
class RecordingInboundEmailService {
  readonly received: Array<{ post: InboundParsePost; files: string[] }> = [];
  constructor(private readonly storage: AttachmentStorage) {}
  async receive(post: InboundParsePost, files: IncomingUpload[]) {
    this.received.push({ post, files: files.map((file) => file.originalname) });
    return { status: 'refused', reason: 'recorded by the test' };
  }
  async discardUnused(files: IncomingUpload[]) {
    await Promise.all(files.map((file) => this.storage.discard(file)));
  }
}

/**
 * The webhook's HTTP edge on its own, in this process: the real guard, multer interceptor, controller and
 * attachment storage (on a scratch directory), with the service replaced by one that records what reaches it.
 */
async function startWebhook(env: Record<string, string>) {
  const attachmentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidings-inbound-'));
  const config = loadConfig({ NODE_ENV: 'test', ...env, ATTACHMENTS_DIR: attachmentsDir });
  @Module({
    controllers: [InboundEmailController],
    providers: [
      { provide: APP_CONFIG, useValue: config },
      AttachmentStorage,
      InboundEmailAuthGuard,
      InboundEmailUploadInterceptor,
      { provide: InboundEmailService, useFactory: (storage: AttachmentStorage) => new RecordingInboundEmailService(storage), inject: [AttachmentStorage] },
    ],
  })
  class WebhookModule {}
  const app: INestApplication = await NestFactory.create(WebhookModule, { logger: false });
  app.useGlobalFilters(new ApiErrorFilter());
  await app.listen(0, '127.0.0.1');
  const service = app.get(InboundEmailService) as unknown as RecordingInboundEmailService;
  /** Every file under the attachments directory, incoming ones included. */
  const storedFiles = () =>
    (fs.readdirSync(attachmentsDir, { recursive: true }) as string[]).filter((name) => fs.statSync(path.join(attachmentsDir, name)).isFile());
  return {
    app,
    service,
    baseUrl: await app.getUrl(),
    storedFiles,
    async stop() {
      await app.close();
      fs.rmSync(attachmentsDir, { recursive: true, force: true });
    },
  };
}

const mail = (extra: Partial<InboundParseMail> = {}): InboundParseMail => ({
  from: 'Alma Member <alma@example.org>',
  to: 'reply+abc@reply.example.org',
  text: 'Thanks, noted.',
  ...extra,
});
const pdf = { filename: 'card.pdf', content: Buffer.from('%PDF-1.4\n%%EOF\n'), contentType: 'application/pdf' };

describe('the inbound email webhook, before the service sees a post', () => {
  describe('switched off (no INBOUND_EMAIL_SECRET)', () => {
    let webhook: Awaited<ReturnType<typeof startWebhook>>;
    beforeAll(async () => {
      webhook = await startWebhook({});
    });
    afterAll(() => webhook?.stop());

    test('answers 404 before reading the body: while the client is still sending it, and with nothing written', async () => {
      const response = await postUnfinishedMultipart(webhook.baseUrl, { secret: SECRET });
      expect(response).toMatchObject({ status: 404, answeredWhileSending: true, body: { statusCode: 404, message: 'inbound email is not configured' } });
      expect(webhook.storedFiles()).toEqual([]);
      expect(webhook.service.received).toEqual([]);
    });
  });

  describe('switched on', () => {
    let webhook: Awaited<ReturnType<typeof startWebhook>>;
    beforeAll(async () => {
      webhook = await startWebhook({ INBOUND_EMAIL_SECRET: SECRET });
    });
    afterAll(() => webhook?.stop());
    beforeEach(() => {
      webhook.service.received.length = 0;
    });

    test('without the secret as the basic-auth password it answers 401 with a Basic challenge, before reading the body', async () => {
      for (const auth of [{}, { secret: 'not-the-inbound-secret-at-all' }, { secret: `${SECRET}x` }, { secret: SECRET, via: 'query' as const }]) {
        const response = await postUnfinishedMultipart(webhook.baseUrl, auth, { holdMs: 5_000 });
        expect(response).toMatchObject({
          status: 401,
          answeredWhileSending: true,
          headers: { 'www-authenticate': 'Basic realm="tidings-inbound-email", charset="UTF-8"' },
          body: { statusCode: 401, error: 'Unauthorized', message: 'the inbound email secret is missing or wrong' },
        });
      }
      for (const authorization of [`Bearer ${SECRET}`, `Basic ${Buffer.from(SECRET).toString('base64')}`, 'Basic !!!', `Basic ${SECRET}`]) {
        const response = await fetch(`${webhook.baseUrl}/v1/webhooks/email/inbound`, { method: 'POST', headers: { authorization }, body: new FormData() });
        expect(response.status).toBe(401);
      }
      expect(webhook.storedFiles()).toEqual([]);
      expect(webhook.service.received).toEqual([]);
    });

    test('the basic-auth user name is not checked, and the scheme is case-insensitive', async () => {
      for (const user of ['sendgrid', 'anyone', '']) expect((await postInboundEmail(webhook.baseUrl, mail(), { secret: SECRET, user })).status).toBe(200);
      const authorization = `basic ${Buffer.from(`sendgrid:${SECRET}`).toString('base64')}`;
      const response = await fetch(`${webhook.baseUrl}/v1/webhooks/email/inbound`, { method: 'POST', headers: { authorization }, body: new FormData() });
      expect(response.status).toBe(200);
      expect(webhook.service.received).toHaveLength(4);
    });

    test('text fields are taken up to 1 MB in all; a field over it, or the fields together, are 413 naming the field, and no file stays', async () => {
      const atLimit = 'a'.repeat(MB - 2048);
      const accepted = await postInboundEmail(webhook.baseUrl, mail({ text: atLimit }), { secret: SECRET }, [pdf]);
      expect(accepted.status).toBe(200);
      expect(webhook.service.received).toEqual([{ post: expect.objectContaining({ text: atLimit }), files: ['card.pdf'] }]);

      const oneField = await postInboundEmail(webhook.baseUrl, mail({ html: 'h'.repeat(MB + 1) }), { secret: SECRET }, [pdf], { filesFirst: true });
      expect(oneField).toEqual({
        status: 413,
        body: {
          statusCode: 413,
          error: 'Payload Too Large',
          message: 'html: must be at most 1 MB',
          details: [{ field: 'html', message: 'must be at most 1 MB' }],
        },
      });
      // html comes before text: text is the field that takes them over 1 MB together.
      const together = await postInboundEmail(
        webhook.baseUrl,
        mail({ html: 'h'.repeat(600 * 1024), text: 't'.repeat(600 * 1024) }),
        { secret: SECRET },
        [pdf],
        {
          filesFirst: true,
        },
      );
      expect(together).toEqual({
        status: 413,
        body: {
          statusCode: 413,
          error: 'Payload Too Large',
          message: 'text: the text fields together must be at most 1 MB',
          details: [{ field: 'text', message: 'the text fields together must be at most 1 MB' }],
        },
      });
      expect(webhook.service.received).toHaveLength(1);
      expect(webhook.storedFiles()).toEqual([]);
    });

    test('more text fields than SendGrid sends are 413; a field sent twice does not reach the service', async () => {
      const form = new FormData();
      for (let i = 0; i < 31; i++) form.append(`field${i}`, 'x');
      const headers = { authorization: `Basic ${Buffer.from(`sendgrid:${SECRET}`).toString('base64')}` };
      const tooMany = await fetch(`${webhook.baseUrl}/v1/webhooks/email/inbound`, { method: 'POST', headers, body: form });
      expect(tooMany.status).toBe(413);
      expect(((await tooMany.json()) as { details: unknown }).details).toEqual([{ field: 'body', message: 'must have at most 30 text fields and 10 files' }]);

      const twice = new FormData();
      twice.append('from', 'alma@example.org');
      twice.append('from', 'mallory@evil.test');
      twice.append('text', 'hello');
      expect((await fetch(`${webhook.baseUrl}/v1/webhooks/email/inbound`, { method: 'POST', headers, body: twice })).status).toBe(200);
      expect(webhook.service.received).toEqual([{ post: { text: 'hello' }, files: [] }]);
    });
  });
});

describe('the Message-ID of an inbound email', () => {
  test('is read from the raw headers, folded or not, without its angle brackets', () => {
    expect(emailMessageIdOf('From: a@b.test\r\nMessage-ID: <CAF=x+1@mail.gmail.com>\r\nSubject: hi')).toBe('CAF=x+1@mail.gmail.com');
    expect(emailMessageIdOf('Subject: hi\nmessage-id:\n <abc@example.org>\nTo: x@y.test')).toBe('abc@example.org');
    expect(emailMessageIdOf('Message-Id: abc@example.org')).toBe('abc@example.org');
  });

  test('is none when missing, blank or unusable as a key', () => {
    expect(emailMessageIdOf(undefined)).toBeNull();
    expect(emailMessageIdOf('Subject: hi\nIn-Reply-To: <abc@example.org>')).toBeNull();
    expect(emailMessageIdOf('Message-ID: <>')).toBeNull();
    expect(emailMessageIdOf('Message-ID: <a b@example.org>')).toBeNull();
    expect(emailMessageIdOf(`Message-ID: <${'x'.repeat(600)}@example.org>`)).toBeNull();
  });
});
