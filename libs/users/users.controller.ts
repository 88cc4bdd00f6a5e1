import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user.js';
import { fieldError } from '../http/api-error.filter.js';
import { uuidParam } from '../http/validation.js';
import { CreateUserDto, UpdateUserDto } from './user.dto.js';
import { ROLES } from './user.entity.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Roles('admin')
  @Post()
  create(@CurrentUser() caller: AuthUser, @Body() body: CreateUserDto) {
    return this.users.create(caller.organizationId, body);
  }

  @Roles('admin', 'staff')
  @Get()
  @ApiQuery({ name: 'role', required: false, enum: ROLES })
  list(@CurrentUser() caller: AuthUser, @Query('role') role?: string) {
    if (role !== undefined && !(ROLES as readonly string[]).includes(role)) throw fieldError('role', `must be one of ${ROLES.join(', ')}`);
    return this.users.list(caller.organizationId, role);
  }

  @Get(':id')
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string) {
    return this.users.get(caller, id);
  }

  @Roles('admin')
  @Patch(':id')
  update(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string, @Body() body: UpdateUserDto) {
    return this.users.update(caller, id, body);
  }
}
