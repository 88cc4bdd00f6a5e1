import Handlebars from 'handlebars';
import { fieldError } from '../http/api-error.filter.js';

/**
 * Message titles and bodies (a campaign's, a single scheduled message's) are Handlebars templates over the
 * recipient and the organisation: plain text with `{{recipient.name}}`, `{{recipient.firstName}}` and
 * `{{organization.name}}` in it, and nothing else: no helpers, blocks, partials, comments, decorators,
 * `{{{triple-stash}}}` or `~` whitespace control. The text is plain text, so it is rendered without HTML
 * escaping; escaping is the notification renderer's job (libs/channels/notification-renderer.ts).
 */
export const TEMPLATE_VARIABLES = ['recipient.name', 'recipient.firstName', 'organization.name'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

export interface RecipientTemplateVariables {
  recipient: { name: string; firstName: string };
  organization: { name: string };
}

export type RecipientTemplate = (vars: RecipientTemplateVariables) => string;

const KNOWN: ReadonlySet<string> = new Set(TEMPLATE_VARIABLES);
const USE = 'use recipient.name, recipient.firstName or organization.name';
const ONLY = 'templates allow only {{recipient.name}}, {{recipient.firstName}} and {{organization.name}}';
/** The longest piece of the author's text an error quotes. */
const MAX_QUOTE = 60;

// An isolated environment: helpers or partials registered on the global Handlebars elsewhere can't reach it.
const handlebars = Handlebars.create();

/**
 * Whether rendering is needed at all: false means the template renders as itself (no `{{`, so neither a
 * variable nor an escaped `\{{`). A string search, cheap enough for every request.
 */
export function hasTemplateVariables(source: string): boolean {
  return source.includes('{{');
}

/** Throws a 422 naming `field` and the offending variable or construct unless `source` is a valid recipient template. */
export function checkRecipientTemplate(source: string, field: string): void {
  const problem = problemOf(source);
  if (problem) throw fieldError(field, problem, 422);
}

/**
 * Compiles a checked template once, to render many times (a campaign renders it for each recipient).
 * Throws a plain Error for a template that checkRecipientTemplate would refuse: check before storing.
 */
export function compileRecipientTemplate(source: string): RecipientTemplate {
  if (!hasTemplateVariables(source)) return () => source;
  const problem = problemOf(source);
  if (problem) throw new Error(`not a recipient template: ${problem}`);
  // strict: a variable missing from `vars` throws rather than rendering as nothing. knownHelpersOnly and
  // data: false keep the compiled code to plain property lookups (the check admits nothing else anyway).
  const template = handlebars.compile<RecipientTemplateVariables>(source, { strict: true, noEscape: true, knownHelpersOnly: true, data: false });
  return (vars) => template(vars);
}

/** The first word of the trimmed display name; the whole name if it is one word. */
export function firstNameOf(name: string): string {
  return name.trim().split(/\s+/u)[0];
}

/** The variables for one recipient of an organisation. */
export function templateVariablesFor(recipientName: string, organizationName: string): RecipientTemplateVariables {
  return { recipient: { name: recipientName, firstName: firstNameOf(recipientName) }, organization: { name: organizationName } };
}

// ——— the check ———

type Node = hbs.AST.Node;
type Position = hbs.AST.Position;

/** Why `source` is not a recipient template (a message for fieldError), or null if it is one. */
function problemOf(source: string): string | null {
  if (!hasTemplateVariables(source)) return null;
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch (error) {
    return `is not a valid template (${describeParseError(error)}); write variables as {{recipient.name}}, {{recipient.firstName}} or {{organization.name}}`;
  }
  const quote = quoter(source);
  for (const node of program.body) {
    switch (node.type) {
      case 'ContentStatement':
        continue;
      case 'MustacheStatement': {
        const mustache = node as hbs.AST.MustacheStatement;
        if (mustache.params.length > 0 || mustache.hash) return `uses a helper in ${quote(node)}; ${ONLY}`;
        const path = mustache.path;
        const name = path.type === 'PathExpression' ? (path as hbs.AST.PathExpression).original : null;
        if (name === null || !KNOWN.has(name)) {
          return `names an unknown variable ${name !== null && isPlain(mustache) ? `{{${name}}}` : quote(node)}; ${USE}`;
        }
        if (!mustache.escaped) return `uses ${quote(node)}; write {{${name}}} (the text is never HTML-escaped)`;
        if (mustache.strip.open || mustache.strip.close) return `uses whitespace control in ${quote(node)}; write {{${name}}}`;
        continue;
      }
      case 'BlockStatement':
        return `uses a block ${quote(node, true)}; ${ONLY}`;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        return `uses a partial ${quote(node, true)}; ${ONLY}`;
      case 'CommentStatement':
        return `uses a comment ${quote(node)}; ${ONLY}`;
      default: // Decorator, DecoratorBlock and whatever a later Handlebars adds
        return `uses ${quote(node, true)}; ${ONLY}`;
    }
  }
  return null;
}

function isPlain(mustache: hbs.AST.MustacheStatement): boolean {
  return mustache.escaped && !mustache.strip.open && !mustache.strip.close;
}

/** "line 2: Dear {{recipient.name" from Handlebars' multi-line parse error. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const [first, context] = message.split('\n');
  const line = /on line (\d+)/.exec(first)?.[1];
  if (line && context !== undefined && !context.startsWith('-')) return `line ${line}: ${shorten(context.trim())}`;
  return shorten(first.replace(/[.:]$/, ''));
}

/** Quotes a node as the author wrote it; `opening` keeps only a block's opening tag. */
function quoter(source: string): (node: Node, opening?: boolean) => string {
  const lineStarts = [0];
  // Line breaks as Handlebars' lexer counts them.
  for (const lineBreak of source.matchAll(/\r\n?|\n/g)) lineStarts.push(lineBreak.index + lineBreak[0].length);
  const offset = (at: Position) => (lineStarts[at.line - 1] ?? source.length) + at.column;
  return (node, opening = false) => {
    let text = source.slice(offset(node.loc.start), offset(node.loc.end));
    if (opening) {
      const close = /}}+/.exec(text);
      if (close) text = text.slice(0, close.index + close[0].length);
    }
    return shorten(text);
  };
}

function shorten(text: string): string {
  const chars = Array.from(text);
  return chars.length <= MAX_QUOTE ? text : `${chars.slice(0, MAX_QUOTE - 1).join('')}…`;
}
