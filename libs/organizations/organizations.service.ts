import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { UsersService } from '../users/users.service.js';
import { CreateOrganizationDto, UpdateOrganizationSettingsDto } from './organization.dto.js';
import { Organization } from './organization.entity.js';

@Injectable()
export class OrganizationsService {
  constructor(private readonly em: EntityManager, private readonly users: UsersService) {}

  /** An organisation is born with its first admin, in one transaction: never one without the other. */
  async create(dto: CreateOrganizationDto) {
    return this.em.transactional(async () => {
      const organization = this.em.create(Organization, { ...new Organization(), name: dto.name.trim() });
      await this.em.flush();
      const admin = await this.users.create(organization.id, { ...dto.admin, role: 'admin' });
      return { organization: { id: organization.id, name: organization.name }, admin: { id: admin.id, email: admin.email } };
    });
  }

  async settings(organizationId: string) {
    const organization = await this.em.findOne(Organization, organizationId);
    if (!organization) throw new NotFoundException('organization not found');
    return { notificationMode: organization.notificationMode };
  }

  async updateSettings(organizationId: string, dto: UpdateOrganizationSettingsDto) {
    const organization = await this.em.findOneOrFail(Organization, organizationId);
    if (dto.notificationMode) organization.notificationMode = dto.notificationMode;
    await this.em.flush();
    return { notificationMode: organization.notificationMode };
  }
}
