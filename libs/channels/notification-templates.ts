/**
 * Handlebars sources for every notification, kept as TS constants so the build needs no copy step.
 * `subject` and `text` are compiled without HTML escaping (they are plain text); `html` is compiled
 * with Handlebars' default escaping, so never use triple braces there.
 *
 * Privacy templates must not reference `title` or `body`: the renderer does not even pass them.
 */
export interface TemplateSources {
  subject: string;
  text: string;
  html: string;
}

export type NotificationMode = 'privacy' | 'convenience';
export type NotifiedChannel = 'push' | 'email' | 'sms';

const PRIVACY_SUBJECT = 'You have a new secure message from {{organizationName}}';

export const NOTIFICATION_TEMPLATES: Record<NotificationMode, Record<NotifiedChannel, TemplateSources>> = {
  privacy: {
    email: {
      subject: PRIVACY_SUBJECT,
      text: [
        'Hello {{recipientName}},',
        '',
        '{{organizationName}} has sent you a secure message. It is waiting for you in your message center:',
        '',
        '{{url}}',
      ].join('\n'),
      html: [
        '<p>Hello {{recipientName}},</p>',
        '<p>{{organizationName}} has sent you a secure message. It is waiting for you in your message center.</p>',
        '<p><a href="{{url}}">Read the secure message</a></p>',
      ].join('\n'),
    },
    push: {
      subject: '{{organizationName}}',
      text: 'You have a new secure message. Tap to read it.',
      html: '<p>You have a new secure message from {{organizationName}}. <a href="{{url}}">Read it</a></p>',
    },
    sms: {
      subject: PRIVACY_SUBJECT,
      text: '{{organizationName}}: you have a new secure message. Read it at {{url}}',
      html: '<p>{{organizationName}}: you have a new secure message. <a href="{{url}}">Read it</a></p>',
    },
  },
  convenience: {
    email: {
      subject: '{{title}}',
      text: ['Hello {{recipientName}},', '', '{{organizationName}} sent you a message:', '', '{{body}}', '', 'Reply or read it in your message center: {{url}}'].join('\n'),
      html: [
        '<p>Hello {{recipientName}},</p>',
        '<p>{{organizationName}} sent you a message:</p>',
        '<h2>{{title}}</h2>',
        // pre-wrap keeps the author's line breaks without us inserting markup into their text
        '<div style="white-space: pre-wrap">{{body}}</div>',
        '<p><a href="{{url}}">Reply or read it in your message center</a></p>',
      ].join('\n'),
    },
    push: {
      subject: '{{title}}',
      text: '{{body}}',
      html: '<p><strong>{{title}}</strong></p>\n<div style="white-space: pre-wrap">{{body}}</div>\n<p><a href="{{url}}">Open</a></p>',
    },
    sms: {
      subject: '{{title}}',
      text: '{{organizationName}}: {{title}}\n{{body}}\n{{url}}',
      html: '<p>{{organizationName}}: {{title}}</p>\n<div style="white-space: pre-wrap">{{body}}</div>\n<p><a href="{{url}}">{{url}}</a></p>',
    },
  },
};
