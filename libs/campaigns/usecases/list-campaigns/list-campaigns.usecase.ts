import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';
import { cursorKeySql, decodeCursor, encodeCursor, type Page } from '../../../http/pagination.js';
import { ListCampaignsQuery } from '../../campaign.dto.js';
import { CAMPAIGN_COLUMNS, toCampaignSummary, type CampaignRow, type CampaignSummary } from '../../campaign-views.js';

/** The organisation's campaigns, newest first; GET /v1/campaigns/:id has each one's progress. */
@Injectable()
export class ListCampaigns {
  constructor(private readonly em: EntityManager) {}

  async execute(caller: AuthUser, query: ListCampaignsQuery): Promise<Page<CampaignSummary>> {
    const params: unknown[] = [caller.organizationId];
    let where = 'c.organization_id = ?';
    if (query.status) {
      where += ' and c.status = ?';
      params.push(query.status);
    }
    const after = decodeCursor(query.cursor);
    if (after) {
      where += ' and (c.created_at, c.id) < (?, ?)';
      params.push(after.at, after.id);
    }
    const rows = await this.em.execute<Array<CampaignRow & { cursor_at: string }>>(
      `select ${CAMPAIGN_COLUMNS}, ${cursorKeySql('c.created_at')} as cursor_at from campaign c where ${where} order by c.created_at desc, c.id desc limit ?`,
      [...params, query.limit + 1],
    );
    const items = rows.slice(0, query.limit).map(toCampaignSummary);
    const last = rows[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last.cursor_at, last.id) : null };
  }
}
