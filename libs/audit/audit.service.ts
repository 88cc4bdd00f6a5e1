import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { AuditEvent } from './audit-event.entity.js';

export interface AuditEntry {
  organizationId: string;
  actorId: string | null;
  action: string;
  subjectType: string;
  subjectId: string;
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(private readonly em: EntityManager) {}

  /** Writes immediately, in the caller's transaction when there is one. */
  async record(entry: AuditEntry): Promise<void> {
    await this.em.insert(AuditEvent, { ...new AuditEvent(), ...entry, details: entry.details ?? null });
  }

  /** What a logged-in user did, in their organisation. */
  async recordBy(caller: AuthUser, action: string, subjectType: string, subjectId: string, details?: Record<string, unknown>): Promise<void> {
    await this.record({ organizationId: caller.organizationId, actorId: caller.id, action, subjectType, subjectId, details });
  }

  async list(organizationId: string, subjectType: string, subjectId: string): Promise<AuditEvent[]> {
    return this.em.find(AuditEvent, { organizationId, subjectType, subjectId }, { orderBy: { createdAt: 'asc' } });
  }
}
