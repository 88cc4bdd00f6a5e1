import { HttpException } from '@nestjs/common';
import Handlebars from 'handlebars';
import {
  checkRecipientTemplate,
  compileRecipientTemplate,
  firstNameOf,
  hasTemplateVariables,
  TEMPLATE_VARIABLES,
  templateVariablesFor,
  type RecipientTemplateVariables,
} from './recipient-template.js';

const rita: RecipientTemplateVariables = { recipient: { name: 'Rita Q. Recipient', firstName: 'Rita' }, organization: { name: 'Harbor Health' } };

/** The 422's one field problem, or null if the template passes. */
function refusal(source: string, field = 'body'): { status: number; field: string; message: string } | null {
  try {
    checkRecipientTemplate(source, field);
    return null;
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    const { details } = error.getResponse() as { details: Array<{ field: string; message: string }> };
    expect(details).toHaveLength(1);
    return { status: error.getStatus(), ...details[0] };
  }
}

describe('recipient templates', () => {
  test('the three variables', () => {
    expect(TEMPLATE_VARIABLES).toEqual(['recipient.name', 'recipient.firstName', 'organization.name']);
  });

  test.each([
    'Your claim was approved',
    'Hello {{recipient.firstName}}',
    '{{recipient.name}}, {{organization.name}} writes: {{ recipient.firstName }}',
    'Dear {{recipient.name}},\n\nline two with {{organization.name}}\r\nand a third',
    'Set { and } and {single} braces and a closing }} alone',
    'An escaped \\{{recipient.email}} is text',
    '',
  ])('accepts %j', (source) => {
    expect(refusal(source)).toBeNull();
  });

  test('an unknown variable is a 422 naming the field and the variable', () => {
    expect(refusal('Hi {{recipient.email}}!')).toEqual({
      status: 422,
      field: 'body',
      message: 'names an unknown variable {{recipient.email}}; use recipient.name, recipient.firstName or organization.name',
    });
    expect(refusal('{{organization.name}} for {{firstName}}', 'title')).toMatchObject({ field: 'title', message: expect.stringContaining('{{firstName}}') });
  });

  test.each([
    ['a top-level name', '{{recipient}}', '{{recipient}}'],
    ['a deeper path', '{{recipient.name.length}}', '{{recipient.name.length}}'],
    ['the slash form', '{{recipient/name}}', '{{recipient/name}}'],
    ['this.', '{{this.recipient.name}}', '{{this.recipient.name}}'],
    ['a parent path', '{{../recipient.name}}', '{{../recipient.name}}'],
    ['data', '{{@root.recipient.name}}', '{{@root.recipient.name}}'],
    ['a literal', 'x {{"hello"}}', '{{"hello"}}'],
    ['a later line', 'fine {{recipient.name}}\nthen {{recipient.phone}}', '{{recipient.phone}}'],
  ])('refuses %s as an unknown variable', (_name, source, quoted) => {
    const problem = refusal(source);
    expect(problem?.status).toBe(422);
    expect(problem?.message).toBe(`names an unknown variable ${quoted}; use recipient.name, recipient.firstName or organization.name`);
  });

  test.each([
    ['a helper', 'Hi {{uppercase recipient.name}}', 'uses a helper in {{uppercase recipient.name}}'],
    ['a hash argument', '{{recipient.name default="you"}}', 'uses a helper in {{recipient.name default="you"}}'],
    ['lookup', '{{lookup recipient "email"}}', 'uses a helper in {{lookup recipient "email"}}'],
    ['a block', 'Hi {{#if recipient.name}}{{recipient.name}}{{else}}there{{/if}}', 'uses a block {{#if recipient.name}}'],
    ['an each block', '{{#each recipient}}{{this}}{{/each}}', 'uses a block {{#each recipient}}'],
    ['an inverse block', '{{^recipient.name}}nobody{{/recipient.name}}', 'uses a block {{^recipient.name}}'],
    ['a raw block', '{{{{raw}}}}{{x}}{{{{/raw}}}}', 'uses a block {{{{raw}}}}'],
    ['a partial', 'Hi {{> signature}}', 'uses a partial {{> signature}}'],
    ['a partial block', '{{#> layout}}x{{/layout}}', 'uses a partial {{#> layout}}'],
    ['a comment', 'Hi{{! to be written }}', 'uses a comment {{! to be written }}'],
    ['a decorator', '{{*decorate}}', 'uses {{*decorate}}'],
    ['triple-stash', 'Hi {{{recipient.name}}}', 'uses {{{recipient.name}}}; write {{recipient.name}}'],
    ['the & form', 'Hi {{& recipient.name}}', 'uses {{& recipient.name}}; write {{recipient.name}}'],
    ['whitespace control', 'Hi   {{~recipient.name}}', 'uses whitespace control in {{~recipient.name}}; write {{recipient.name}}'],
  ])('refuses %s, quoting it', (_name, source, message) => {
    const problem = refusal(source, 'title');
    expect(problem).toMatchObject({ status: 422, field: 'title' });
    expect(problem!.message.startsWith(message)).toBe(true);
  });

  test.each([
    ['an unclosed variable', 'Hi {{recipient.name', 'line 1: Hi {{recipient.name'],
    ['a single closing brace', 'Hi {{recipient.name}', 'line 1: Hi {{recipient.name}'],
    ['an empty mustache', 'Hi {{}}', 'line 1'],
    ['a broken second line', 'Hello there\n{{recipient.name}', 'line 2: '],
    ['unbalanced blocks', '{{#if a}}x{{/each}}', "if doesn't match each"],
  ])('refuses a template that does not parse: %s', (_name, source, detail) => {
    const problem = refusal(source);
    expect(problem).toMatchObject({ status: 422, field: 'body' });
    expect(problem!.message).toMatch(/^is not a valid template \(/);
    expect(problem!.message).toContain(detail);
    expect(problem!.message).not.toContain('\n');
  });

  test('a long offending construct is quoted shortened', () => {
    const problem = refusal(`{{#if ${'x'.repeat(500)}}}y{{/if}}`);
    expect(Array.from(problem!.message.split(';')[0]).length).toBeLessThan(100);
    expect(problem!.message).toContain('…');
  });

  test('renders the variables, compiled once and rendered many times', () => {
    const render = compileRecipientTemplate('Hello {{recipient.firstName}} ({{recipient.name}}), from {{organization.name}}.');
    expect(render(rita)).toBe('Hello Rita (Rita Q. Recipient), from Harbor Health.');
    expect(render(templateVariablesFor('Omar', 'Org B'))).toBe('Hello Omar (Omar), from Org B.');
    expect(compileRecipientTemplate('{{ recipient.name }}\n{{organization.name}}\r\n')(rita)).toBe('Rita Q. Recipient\nHarbor Health\r\n');
  });

  test('never HTML-escapes: the text is plain text', () => {
    const vars = templateVariablesFor(`Tom & "Jerry" <O'Neil>`, 'Smith & Sons');
    expect(compileRecipientTemplate('{{recipient.name}} at {{organization.name}} & co <b>')(vars)).toBe(`Tom & "Jerry" <O'Neil> at Smith & Sons & co <b>`);
  });

  test('a value that looks like a template is not rendered again', () => {
    expect(compileRecipientTemplate('Hi {{recipient.name}}')(templateVariablesFor('{{organization.name}}', 'Org'))).toBe('Hi {{organization.name}}');
  });

  test('a template that is just text renders as itself', () => {
    const text = 'Your claim was approved & paid: $1,250 } {';
    expect(hasTemplateVariables(text)).toBe(false);
    expect(compileRecipientTemplate(text)(rita)).toBe(text);
    expect(compileRecipientTemplate('')(rita)).toBe('');
  });

  test('an escaped mustache needs rendering, and renders as the literal text', () => {
    expect(hasTemplateVariables('Type \\{{recipient.name}} to')).toBe(true);
    expect(compileRecipientTemplate('Type \\{{recipient.name}} for {{recipient.firstName}}')(rita)).toBe('Type {{recipient.name}} for Rita');
  });

  test('hasTemplateVariables', () => {
    expect(hasTemplateVariables('Hello {{recipient.firstName}}')).toBe(true);
    expect(hasTemplateVariables('Hello there')).toBe(false);
    expect(hasTemplateVariables('{ {not} }')).toBe(false);
  });

  test('a variable missing at render time throws rather than rendering as nothing', () => {
    const render = compileRecipientTemplate('Hi {{recipient.firstName}}');
    expect(() => render({ recipient: { name: 'x' }, organization: { name: 'o' } } as unknown as RecipientTemplateVariables)).toThrow(/firstName/);
  });

  test('compiling a template the check refuses throws', () => {
    expect(() => compileRecipientTemplate('{{recipient.email}}')).toThrow(/unknown variable \{\{recipient.email\}\}/);
    expect(() => compileRecipientTemplate('{{#if x}}y{{/if}}')).toThrow(/block/);
  });

  test('helpers registered on the global Handlebars do not reach recipient templates', () => {
    Handlebars.registerHelper('recipient.name', () => 'hijacked');
    try {
      expect(compileRecipientTemplate('{{recipient.name}}')(rita)).toBe('Rita Q. Recipient');
    } finally {
      Handlebars.unregisterHelper('recipient.name');
    }
  });

  test.each([
    ['Rita Recipient', 'Rita'],
    ['  Rita   Q.  Recipient ', 'Rita'],
    ['Cher', 'Cher'],
    ['  Cher  ', 'Cher'],
    ['Anne-Marie\tDupont', 'Anne-Marie'],
    ['José\nGarcía', 'José'],
    ['', ''],
  ])('the first name of %j is %j', (name, first) => {
    expect(firstNameOf(name)).toBe(first);
  });
});
