import { Body, Controller, Get, Headers, HttpStatus, Inject, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { timingSafeEqual, createHash } from 'node:crypto';
import { AuthUser, CurrentUser, Public, Roles } from '../auth/auth-user.js';
import { APP_CONFIG, AppConfig } from '../config/app-config.js';
import { CreateOrganizationDto, UpdateOrganizationSettingsDto } from './organization.dto.js';
import { fieldError } from '../http/api-error.filter.js';
import { OrganizationsService } from './organizations.service.js';

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('v1')
export class OrganizationsController {
  constructor(
    private readonly organizations: OrganizationsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Platform operators create organisations with the bootstrap token, not a user's token. */
  @Public()
  @Post('organizations')
  create(@Headers('authorization') authorization: string | undefined, @Body() body: CreateOrganizationDto) {
    if (!sameSecret(authorization ?? '', `Bearer ${this.config.bootstrapToken}`)) {
      throw fieldError('authorization', 'the bootstrap token is required to create an organization', HttpStatus.UNAUTHORIZED);
    }
    return this.organizations.create(body);
  }

  @Roles('admin')
  @Get('organization/settings')
  settings(@CurrentUser() user: AuthUser) {
    return this.organizations.settings(user.organizationId);
  }

  @Roles('admin')
  @Patch('organization/settings')
  updateSettings(@CurrentUser() user: AuthUser, @Body() body: UpdateOrganizationSettingsDto) {
    return this.organizations.updateSettings(user, body);
  }
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
