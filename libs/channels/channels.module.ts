import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { EMAIL_PROVIDER, PUSH_PROVIDER, SMS_PROVIDER, type EmailProvider, type PushProvider, type SmsProvider } from './channel.js';
import { NotificationRenderer } from './notification-renderer.js';
import { NotificationSender } from './notification-sender.js';
import { LogEmailProvider, LogPushProvider, LogSmsProvider } from './providers/log.providers.js';
import { SendgridEmailProvider } from './providers/sendgrid-email.provider.js';
import { TwilioSmsProvider } from './providers/twilio-sms.provider.js';
import { WebPushProvider } from './providers/web-push.provider.js';

/** Picks each channel's provider from configuration. APP_CONFIG is provided globally elsewhere. */
@Module({
  providers: [
    {
      provide: EMAIL_PROVIDER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EmailProvider =>
        config.email.provider === 'sendgrid' ? new SendgridEmailProvider(config.email) : new LogEmailProvider(),
    },
    {
      provide: SMS_PROVIDER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): SmsProvider => (config.sms.provider === 'twilio' ? new TwilioSmsProvider(config.sms) : new LogSmsProvider()),
    },
    {
      provide: PUSH_PROVIDER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): PushProvider => (config.push.provider === 'webpush' ? new WebPushProvider(config.push) : new LogPushProvider()),
    },
    NotificationRenderer,
    NotificationSender,
  ],
  exports: [EMAIL_PROVIDER, SMS_PROVIDER, PUSH_PROVIDER, NotificationRenderer, NotificationSender],
})
export class ChannelsModule {}
