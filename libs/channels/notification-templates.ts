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
/**
 * message: something new arrived; reminder: it is still unread; read_receipt: someone read what was sent;
 * task: a chat request in a care manager's (or supervisor's) queue needs them.
 */
export type NotificationPurpose = 'message' | 'reminder' | 'read_receipt' | 'task';

const PRIVACY_SUBJECT = 'You have a new secure message from {{organizationName}}';

const MESSAGE_TEMPLATES: Record<NotificationMode, Record<NotifiedChannel, TemplateSources>> = {
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
      text: [
        'Hello {{recipientName}},',
        '',
        '{{organizationName}} sent you a message:',
        '',
        '{{body}}',
        '',
        'Reply or read it in your message center: {{url}}',
      ].join('\n'),
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

const REMINDER_SUBJECT = 'Reminder: an unread secure message from {{organizationName}} is waiting';

const REMINDER_TEMPLATES: Record<NotificationMode, Record<NotifiedChannel, TemplateSources>> = {
  privacy: {
    email: {
      subject: REMINDER_SUBJECT,
      text: ['Hello {{recipientName}},', '', 'A secure message from {{organizationName}} is still unread. It is waiting for you here:', '', '{{url}}'].join(
        '\n',
      ),
      html: [
        '<p>Hello {{recipientName}},</p>',
        '<p>A secure message from {{organizationName}} is still unread.</p>',
        '<p><a href="{{url}}">Read the secure message</a></p>',
      ].join('\n'),
    },
    push: {
      subject: '{{organizationName}}',
      text: 'You have an unread secure message. Tap to read it.',
      html: '<p>You have an unread secure message from {{organizationName}}. <a href="{{url}}">Read it</a></p>',
    },
    sms: {
      subject: REMINDER_SUBJECT,
      text: '{{organizationName}}: a secure message is still unread. Read it at {{url}}',
      html: '<p>{{organizationName}}: a secure message is still unread. <a href="{{url}}">Read it</a></p>',
    },
  },
  convenience: {
    email: {
      subject: 'Reminder: {{title}}',
      text: [
        'Hello {{recipientName}},',
        '',
        'This message from {{organizationName}} is still unread:',
        '',
        '{{body}}',
        '',
        'Reply or read it here: {{url}}',
      ].join('\n'),
      html: [
        '<p>Hello {{recipientName}},</p>',
        '<p>This message from {{organizationName}} is still unread:</p>',
        '<h2>{{title}}</h2>',
        '<div style="white-space: pre-wrap">{{body}}</div>',
        '<p><a href="{{url}}">Reply or read it here</a></p>',
      ].join('\n'),
    },
    push: {
      subject: 'Reminder: {{title}}',
      text: '{{body}}',
      html: '<p><strong>Reminder: {{title}}</strong></p>\n<div style="white-space: pre-wrap">{{body}}</div>\n<p><a href="{{url}}">Open</a></p>',
    },
    sms: {
      subject: 'Reminder: {{title}}',
      text: '{{organizationName}}: still unread: {{title}}\n{{url}}',
      html: '<p>{{organizationName}}: still unread: {{title}}</p>\n<p><a href="{{url}}">{{url}}</a></p>',
    },
  },
};

// Read receipts name neither the reader nor the message in privacy mode: who reads what is itself private.
const READ_RECEIPT_TEMPLATES: Record<NotificationMode, Record<NotifiedChannel, TemplateSources>> = {
  privacy: {
    email: {
      subject: 'A secure message was read',
      text: ['Hello {{recipientName}},', '', 'A secure message you follow in {{organizationName}} was read. See who has read it:', '', '{{url}}'].join('\n'),
      html: [
        '<p>Hello {{recipientName}},</p>',
        '<p>A secure message you follow in {{organizationName}} was read.</p>',
        '<p><a href="{{url}}">See who has read it</a></p>',
      ].join('\n'),
    },
    push: {
      subject: '{{organizationName}}',
      text: 'A secure message you follow was read.',
      html: '<p>A secure message you follow was read. <a href="{{url}}">Open</a></p>',
    },
    sms: {
      subject: 'A secure message was read',
      text: '{{organizationName}}: a secure message you follow was read. {{url}}',
      html: '<p>{{organizationName}}: a secure message you follow was read. <a href="{{url}}">Open</a></p>',
    },
  },
  convenience: {
    email: {
      subject: 'Read: {{title}}',
      text: ['Hello {{recipientName}},', '', '{{body}}', '', '{{url}}'].join('\n'),
      html: ['<p>Hello {{recipientName}},</p>', '<p>{{body}}</p>', '<p><a href="{{url}}">Open the conversation</a></p>'].join('\n'),
    },
    push: { subject: 'Read: {{title}}', text: '{{body}}', html: '<p><strong>Read: {{title}}</strong></p>\n<p>{{body}}</p>' },
    sms: { subject: 'Read: {{title}}', text: '{{organizationName}}: {{body}} {{url}}', html: '<p>{{organizationName}}: {{body}}</p>' },
  },
};

// Privacy mode names neither the member nor the reason: that a member asked for help is itself private.
const TASK_TEMPLATES: Record<NotificationMode, Record<NotifiedChannel, TemplateSources>> = {
  privacy: {
    email: {
      subject: 'A chat request in {{organizationName}} needs you',
      text: ['Hello {{recipientName}},', '', 'A chat request in your task queue needs your attention:', '', '{{url}}'].join('\n'),
      html: [
        '<p>Hello {{recipientName}},</p>',
        '<p>A chat request in your task queue needs your attention.</p>',
        '<p><a href="{{url}}">Open your task queue</a></p>',
      ].join('\n'),
    },
    push: {
      subject: '{{organizationName}}',
      text: 'A chat request in your task queue needs your attention.',
      html: '<p>A chat request in your task queue needs your attention. <a href="{{url}}">Open</a></p>',
    },
    sms: {
      subject: 'A chat request needs you',
      text: '{{organizationName}}: a chat request in your task queue needs your attention. {{url}}',
      html: '<p>{{organizationName}}: a chat request in your task queue needs your attention. <a href="{{url}}">Open</a></p>',
    },
  },
  convenience: {
    email: {
      subject: '{{title}}',
      text: ['Hello {{recipientName}},', '', '{{body}}', '', 'Open your task queue: {{url}}'].join('\n'),
      html: [
        '<p>Hello {{recipientName}},</p>',
        '<h2>{{title}}</h2>',
        '<div style="white-space: pre-wrap">{{body}}</div>',
        '<p><a href="{{url}}">Open your task queue</a></p>',
      ].join('\n'),
    },
    push: { subject: '{{title}}', text: '{{body}}', html: '<p><strong>{{title}}</strong></p>\n<div style="white-space: pre-wrap">{{body}}</div>' },
    sms: { subject: '{{title}}', text: '{{organizationName}}: {{title}} {{url}}', html: '<p>{{organizationName}}: {{title}}</p>' },
  },
};

export const NOTIFICATION_TEMPLATES: Record<NotificationPurpose, Record<NotificationMode, Record<NotifiedChannel, TemplateSources>>> = {
  message: MESSAGE_TEMPLATES,
  reminder: REMINDER_TEMPLATES,
  read_receipt: READ_RECEIPT_TEMPLATES,
  task: TASK_TEMPLATES,
};
