import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';
import { fieldError } from '../../../http/api-error.filter.js';
import { checkRecipientTemplate, compileRecipientTemplate, templateVariablesFor } from '../../../templates/recipient-template.js';

/** A campaign's title and body as one recipient (any user of the organisation) will read them: a stored campaign's, or a draft's. */
@Injectable()
export class PreviewCampaign {
  constructor(private readonly em: EntityManager) {}

  async execute(caller: AuthUser, id: string, userId: string): Promise<{ userId: string; title: string; body: string }> {
    const [campaign] = await this.em.execute<Array<{ title: string; body: string; organization_name: string }>>(
      `select c.title, c.body, o.name as organization_name from campaign c join organization o on o.id = c.organization_id where c.id = ? and c.organization_id = ?`,
      [id, caller.organizationId],
    );
    if (!campaign) throw new NotFoundException('campaign not found');
    return this.render(caller, campaign, userId);
  }

  /** A campaign being written, before it exists: the same rendering, and the same 422 for an unknown variable. */
  async draft(caller: AuthUser, draft: { title: string; body: string }, userId: string): Promise<{ userId: string; title: string; body: string }> {
    checkRecipientTemplate(draft.title, 'title');
    checkRecipientTemplate(draft.body, 'body');
    const [organization] = await this.em.execute<Array<{ name: string }>>(`select name from organization where id = ?`, [caller.organizationId]);
    return this.render(caller, { ...draft, organization_name: organization.name }, userId);
  }

  private async render(caller: AuthUser, campaign: { title: string; body: string; organization_name: string }, userId: string) {
    const [user] = await this.em.execute<Array<{ name: string }>>(`select name from app_user where id = ? and organization_id = ?`, [
      userId,
      caller.organizationId,
    ]);
    if (!user) throw fieldError('userId', 'is not a user of your organization', 422);
    const variables = templateVariablesFor(user.name, campaign.organization_name);
    return { userId, title: compileRecipientTemplate(campaign.title)(variables), body: compileRecipientTemplate(campaign.body)(variables) };
  }
}
