import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';
import { TeamMember } from './team-member.entity.js';
import { AddTeamMemberDto, CreateTeamDto } from './team.dto.js';
import { Team } from './team.entity.js';

export interface TeamView {
  id: string;
  name: string;
  memberIds: string[];
  createdAt: Date;
}

@Injectable()
export class TeamsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async list(organizationId: string): Promise<TeamView[]> {
    const teams = await this.em.find(Team, { organization: organizationId }, { orderBy: { name: 'asc', id: 'asc' }, limit: 1000 });
    const memberships = await this.em.find(TeamMember, { team: { $in: teams.map((team) => team.id) } }, { orderBy: { createdAt: 'asc', user: 'asc' } });
    return teams.map((team) =>
      toTeamView(
        team,
        memberships.filter((m) => m.team.id === team.id),
      ),
    );
  }

  async create(caller: AuthUser, dto: CreateTeamDto): Promise<TeamView> {
    if (await this.em.count(Team, { organization: caller.organizationId, name: dto.name })) throw nameTaken();
    const team = Object.assign(new Team(), { organization: this.em.getReference(Organization, caller.organizationId), name: dto.name });
    try {
      await this.em.transactional(async (em) => {
        em.persist(team);
        await em.flush();
        await this.audit.recordBy(caller, 'team.created', 'team', team.id);
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw nameTaken();
      throw error;
    }
    return toTeamView(team, []);
  }

  /** Adding someone already in the team changes nothing and answers the same. */
  async addMember(caller: AuthUser, teamId: string, dto: AddTeamMemberDto): Promise<TeamView> {
    const team = await this.find(caller.organizationId, teamId);
    const user = await this.em.findOne(User, { id: dto.userId, organization: caller.organizationId, role: { $in: ['admin', 'staff'] } });
    if (!user) throw fieldError('userId', 'is not a staff or admin user of your organization', 422);
    await this.em.transactional(async (em) => {
      const added = await em
        .createQueryBuilder(TeamMember)
        .insert({ ...new TeamMember(), team: team.id, user: user.id })
        .onConflict(['team', 'user'])
        .ignore()
        .execute('run');
      if (added.affectedRows) await this.audit.recordBy(caller, 'team.member_added', 'team', team.id, { userId: user.id });
    });
    return this.view(team);
  }

  async removeMember(caller: AuthUser, teamId: string, userId: string): Promise<void> {
    const team = await this.find(caller.organizationId, teamId);
    await this.em.transactional(async (em) => {
      const removed = await em.nativeDelete(TeamMember, { team: team.id, user: userId });
      if (removed) await this.audit.recordBy(caller, 'team.member_removed', 'team', team.id, { userId });
    });
  }

  /** Everyone in any of these teams of the organisation; another organisation's team contributes no one. */
  async memberIds(organizationId: string, teamIds: string[]): Promise<Set<string>> {
    if (!teamIds.length) return new Set();
    const memberships = await this.em.find(TeamMember, { team: { id: { $in: teamIds }, organization: organizationId } });
    return new Set(memberships.map((m) => m.user.id));
  }

  private async find(organizationId: string, id: string): Promise<Team> {
    const team = await this.em.findOne(Team, { id, organization: organizationId });
    if (!team) throw new NotFoundException('team not found');
    return team;
  }

  private async view(team: Team): Promise<TeamView> {
    return toTeamView(team, await this.em.find(TeamMember, { team: team.id }, { orderBy: { createdAt: 'asc', user: 'asc' } }));
  }
}

const nameTaken = () => fieldError('name', 'is already used by another team', 409);

const toTeamView = (team: Team, memberships: TeamMember[]): TeamView => ({
  id: team.id,
  name: team.name,
  memberIds: memberships.map((m) => m.user.id),
  createdAt: team.createdAt,
});
