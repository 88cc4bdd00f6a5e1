import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { Organization } from '../organizations/organization.entity.js';
import { sanitizedBody as sanitizedApiBody } from '../rich-text/sanitized-body.js';
import { CreateCannedResponseDto, MAX_CANNED_BODY_BYTES, UpdateCannedResponseDto } from './canned-response.dto.js';
import { CannedResponse } from './canned-response.entity.js';

@Injectable()
export class CannedResponsesService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async list(organizationId: string) {
    const responses = await this.em.find(CannedResponse, { organization: organizationId }, { orderBy: { title: 'asc', id: 'asc' }, limit: 1000 });
    return responses.map(toCannedResponseView);
  }

  async create(caller: AuthUser, dto: CreateCannedResponseDto) {
    const body = sanitizedBody(dto.body);
    await this.refuseTakenTitle(caller.organizationId, dto.title);
    const response = Object.assign(new CannedResponse(), {
      organization: this.em.getReference(Organization, caller.organizationId),
      title: dto.title,
      body,
    });
    await this.save(caller, response, 'canned_response.created');
    return toCannedResponseView(response);
  }

  async update(caller: AuthUser, id: string, dto: UpdateCannedResponseDto) {
    const response = await this.find(caller.organizationId, id);
    const body = dto.body === undefined ? undefined : sanitizedBody(dto.body);
    if (dto.title !== undefined && dto.title !== response.title) await this.refuseTakenTitle(caller.organizationId, dto.title);
    if (dto.title === undefined && body === undefined) return toCannedResponseView(response);
    if (dto.title !== undefined) response.title = dto.title;
    if (body !== undefined) response.body = body;
    response.updatedAt = new Date();
    await this.save(caller, response, 'canned_response.updated');
    return toCannedResponseView(response);
  }

  async remove(caller: AuthUser, id: string): Promise<void> {
    const response = await this.find(caller.organizationId, id);
    await this.em.transactional(async (em) => {
      await em.nativeDelete(CannedResponse, { id: response.id });
      await this.audit.recordBy(caller, 'canned_response.deleted', 'canned_response', response.id);
    });
  }

  private async save(caller: AuthUser, response: CannedResponse, action: string): Promise<void> {
    try {
      await this.em.transactional(async (em) => {
        em.persist(response);
        await em.flush();
        await this.audit.recordBy(caller, action, 'canned_response', response.id);
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw titleTaken();
      throw error;
    }
  }

  private async refuseTakenTitle(organizationId: string, title: string): Promise<void> {
    if (await this.em.count(CannedResponse, { organization: organizationId, title })) throw titleTaken();
  }

  private async find(organizationId: string, id: string): Promise<CannedResponse> {
    const response = await this.em.findOne(CannedResponse, { id, organization: organizationId });
    if (!response) throw new NotFoundException('canned response not found');
    return response;
  }
}

/**
 * The body as it is stored: sanitized like a message body (the same allowlist, too much markup refused), so what
 * staff see and reuse is already safe. Too large is a 413 (checked first), too much markup or nothing left once
 * sanitized a 422.
 */
function sanitizedBody(body: string): string {
  return sanitizedApiBody(body, MAX_CANNED_BODY_BYTES).html;
}

const titleTaken = () => fieldError('title', 'is already used by another canned response', 409);

const toCannedResponseView = (response: CannedResponse) => ({
  id: response.id,
  title: response.title,
  body: response.body,
  createdAt: response.createdAt,
  updatedAt: response.updatedAt,
});
