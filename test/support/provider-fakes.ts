import { generateVapidKeys, PUSH_FAKE_CA_CERT, PushServiceFake } from '../fakes/push-service-fake.js';
import { SendgridFake } from '../fakes/sendgrid-fake.js';
import { TwilioFake } from '../fakes/twilio-fake.js';

const SENDGRID_KEY = 'SG.test-key';
const TWILIO_SID = 'AC00000000000000000000000000000000';
const TWILIO_TOKEN = 'twilio-test-auth-token';

/**
 * SendGrid, Twilio and a Web Push service as loopback fakes, and the environment that points the
 * platform's official SDKs at them.
 */
export class ProviderFakes {
  readonly sendgrid = new SendgridFake(SENDGRID_KEY);
  readonly twilio = new TwilioFake(TWILIO_SID, TWILIO_TOKEN);
  readonly pushService = new PushServiceFake();

  /** Starts the fakes; returns the platform environment that uses them. */
  async start(): Promise<Record<string, string>> {
    const vapid = generateVapidKeys();
    const [sendgridUrl, twilioUrl] = await Promise.all([this.sendgrid.start(), this.twilio.start(), this.pushService.start()]);
    return {
      EMAIL_PROVIDER: 'sendgrid',
      SENDGRID_API_KEY: SENDGRID_KEY,
      SENDGRID_API_BASE_URL: sendgridUrl,
      EMAIL_FROM: 'Tidings <no-reply@tidings.test>',
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_FROM_NUMBER: '+15550000000',
      TWILIO_API_BASE_URL: twilioUrl,
      PUSH_PROVIDER: 'webpush',
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: 'mailto:ops@tidings.test',
      NODE_EXTRA_CA_CERTS: PUSH_FAKE_CA_CERT,
      // The push-service fake listens on 127.0.0.1, which production refuses as a push endpoint.
      PUSH_ALLOW_PRIVATE_HOSTS: 'true',
    };
  }

  reset(): void {
    this.sendgrid.reset();
    this.twilio.reset();
    this.pushService.reset();
  }

  async stop(): Promise<void> {
    await Promise.all([this.sendgrid.stop(), this.twilio.stop(), this.pushService.stop()]);
  }
}
