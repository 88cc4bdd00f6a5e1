import { AuditEvent } from '../audit/audit-event.entity.js';
import { LoginAttempt } from '../auth/login-attempt.entity.js';
import { MessageDelivery } from '../messages/message-delivery.entity.js';
import { Message } from '../messages/message.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { PushSubscription } from '../push-subscriptions/push-subscription.entity.js';
import { User } from '../users/user.entity.js';

/** Every entity, listed once: the ORM, the migrations and the tests all read this list. */
export const ENTITIES = [Organization, User, Message, MessageDelivery, PushSubscription, AuditEvent, LoginAttempt];
