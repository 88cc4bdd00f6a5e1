import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { ContactMessagingStaff, ContactMessagingTeam } from '../organizations/organization-settings.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { TeamMember } from '../teams/team-member.entity.js';
import { User } from '../users/user.entity.js';
import { isStaff } from './conversation-visibility.js';

/**
 * Whom a contact (member) may write to, by the organisation's rules. Staff may write to anyone in their
 * organisation; these rules only ever narrow what members can do. A refusal is a 403 naming the rule.
 */
@Injectable()
export class ContactMessagingRules {
  constructor(private readonly em: EntityManager) {}

  async assertMayMessage(caller: AuthUser, recipients: Array<{ user: User; field: string }>): Promise<void> {
    if (isStaff(caller.role)) return;
    const member = recipients.find(({ user }) => !isStaff(user.role));
    if (member) {
      throw fieldError(
        member.field,
        `names ${member.user.id}, a member: members may message staff only, never other members (rule: members message staff only)`,
        403,
      );
    }
    if (recipients.length === 0) return;
    const organization = await this.em.findOneOrFail(Organization, caller.organizationId);
    if (organization.contactMessagingRestrictToCoordinator) {
      const me = await this.em.findOneOrFail(User, caller.id);
      const coordinatorId = me.coordinator?.id ?? null;
      const other = recipients.find(({ user }) => user.id !== coordinatorId);
      if (other) {
        const why = coordinatorId ? 'you may message only your coordinator' : 'you may message only your coordinator, and none is assigned to you';
        throw fieldError(other.field, `names ${other.user.id}: ${why} (rule: contactMessaging.restrictToCoordinator)`, 403);
      }
      return;
    }
    const [staff, teams] = await Promise.all([
      this.em.find(ContactMessagingStaff, { organization: caller.organizationId }),
      this.em.find(ContactMessagingTeam, { organization: caller.organizationId }),
    ]);
    if (staff.length === 0 && teams.length === 0) return; // no designation: any staff member
    const allowed = new Set(staff.map((row) => row.user.id));
    if (teams.length) {
      const members = await this.em.find(TeamMember, { team: { $in: teams.map((row) => row.team.id) } });
      for (const row of members) allowed.add(row.user.id);
    }
    const other = recipients.find(({ user }) => !allowed.has(user.id));
    if (other) {
      throw fieldError(
        other.field,
        `names ${other.user.id}: members may message only the staff and teams the organization designates (rule: contactMessaging.allowedStaffIds / allowedTeamIds)`,
        403,
      );
    }
  }
}
