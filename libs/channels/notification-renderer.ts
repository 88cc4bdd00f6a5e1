import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import type { Notification } from './channel.js';
import { NOTIFICATION_TEMPLATES, type NotificationMode, type NotificationPurpose, type NotifiedChannel } from './notification-templates.js';

export interface RenderNotificationInput {
  /** Default `message`: something new is waiting. */
  purpose?: NotificationPurpose;
  /** privacy: the notification only says a secure message is waiting; convenience: it carries the message. */
  mode: NotificationMode;
  channel: NotifiedChannel;
  organizationName: string;
  recipientName: string;
  title: string;
  body: string;
  /** Deep link into the recipient's message center. */
  url: string;
}

type TemplateContext = Record<string, string>;
type CompiledTemplate = (context: TemplateContext) => string;
interface CompiledSet {
  subject: CompiledTemplate;
  text: CompiledTemplate;
  html: CompiledTemplate;
}

/**
 * Upper bounds on the message content a notification may carry, in characters.
 * SMS: one or two segments plus the link. Push: the encrypted payload must stay under ~4 KB
 * even when every character takes 4 UTF-8 bytes.
 */
const CONTENT_LIMITS: Record<NotifiedChannel, { title: number; body: number }> = {
  email: { title: 300, body: Number.POSITIVE_INFINITY },
  push: { title: 100, body: 600 },
  sms: { title: 80, body: 300 },
};

@Injectable()
export class NotificationRenderer {
  private readonly templates: Record<NotificationPurpose, Record<NotificationMode, Record<NotifiedChannel, CompiledSet>>>;

  constructor() {
    // An isolated environment so helpers or partials registered elsewhere can't alter our output.
    const handlebars = Handlebars.create();
    // strict: a template naming a field we do not pass (e.g. a privacy template naming `body`) throws.
    const plain = (source: string) => handlebars.compile<TemplateContext>(source, { noEscape: true, strict: true });
    const html = (source: string) => handlebars.compile<TemplateContext>(source, { strict: true });
    const compileMode = (purpose: NotificationPurpose, mode: NotificationMode) => {
      const sources = NOTIFICATION_TEMPLATES[purpose][mode];
      const compileSet = (channel: NotifiedChannel): CompiledSet => ({
        subject: plain(sources[channel].subject),
        text: plain(sources[channel].text),
        html: html(sources[channel].html),
      });
      return { email: compileSet('email'), push: compileSet('push'), sms: compileSet('sms') };
    };
    const purposes = Object.keys(NOTIFICATION_TEMPLATES) as NotificationPurpose[];
    this.templates = Object.fromEntries(
      purposes.map((purpose) => [purpose, { privacy: compileMode(purpose, 'privacy'), convenience: compileMode(purpose, 'convenience') }]),
    ) as typeof this.templates;
    // Handlebars compiles lazily on first call; render every template now so a broken one fails at startup.
    for (const purpose of purposes) {
      for (const mode of ['privacy', 'convenience'] as const) {
        for (const channel of ['email', 'push', 'sms'] as const) {
          this.render({ purpose, mode, channel, organizationName: 'o', recipientName: 'r', title: 't', body: 'b', url: 'https://u' });
        }
      }
    }
  }

  render(input: RenderNotificationInput): Notification {
    const set = this.templates[input.purpose ?? 'message'][input.mode][input.channel];
    const context: TemplateContext = { organizationName: input.organizationName, recipientName: input.recipientName, url: input.url };
    if (input.mode === 'convenience') {
      // Only convenience mode ever sees the content; privacy templates could not leak it if they tried.
      const limits = CONTENT_LIMITS[input.channel];
      context.title = truncate(input.title, limits.title);
      context.body = truncate(input.body, limits.body);
    }
    // Subjects are single-line everywhere (mail headers, notification titles): fold the author's line breaks.
    const subject = set.subject(context).replace(/\s+/g, ' ').trim();
    return { subject, text: set.text(context), html: set.html(context), url: input.url };
  }
}

function truncate(value: string, maxChars: number): string {
  const chars = Array.from(value); // code points, so an emoji is never cut in half
  return chars.length <= maxChars
    ? value
    : `${chars
        .slice(0, maxChars - 1)
        .join('')
        .trimEnd()}…`;
}
