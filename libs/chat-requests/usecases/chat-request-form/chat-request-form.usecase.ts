import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../../auth/auth-user.js';

export interface ChatRequestForm {
  /** The organisation's words above the form. */
  intro: string;
  programs: Array<{ id: string; name: string; careManager: { id: string; name: string } }>;
  /** The member's only program; null when they must choose (or have none). */
  defaultProgramId: string | null;
  reasons: Array<{ id: string; label: string }>;
}

/** What the member's Request a Chat form shows, in one call: the intro, their programs and the reasons they may choose. */
@Injectable()
export class GetChatRequestForm {
  constructor(private readonly em: EntityManager) {}

  async execute(caller: AuthUser): Promise<ChatRequestForm> {
    const [[settings], programs, reasons] = await Promise.all([
      this.em.execute<Array<{ intro: string | null }>>(`select chat_request_settings->>'intro' as intro from organization where id = ?`, [
        caller.organizationId,
      ]),
      this.em.execute<Array<{ id: string; name: string; care_manager_id: string; care_manager_name: string }>>(
        `select p.id, p.name, u.id as care_manager_id, u.name as care_manager_name
           from enrollment e join program p on p.id = e.program_id join app_user u on u.id = e.care_manager_id
          where e.member_id = ? and e.organization_id = ? order by p.name, p.id`,
        [caller.id, caller.organizationId],
      ),
      this.em.execute<Array<{ id: string; label: string }>>(
        `select id, label from chat_request_reason where organization_id = ? and active order by created_at, id`,
        [caller.organizationId],
      ),
    ]);
    return {
      intro: settings?.intro ?? '',
      programs: programs.map((row) => ({ id: row.id, name: row.name, careManager: { id: row.care_manager_id, name: row.care_manager_name } })),
      defaultProgramId: programs.length === 1 ? programs[0].id : null,
      reasons,
    };
  }
}
