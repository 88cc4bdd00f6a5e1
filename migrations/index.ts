import { Migration20261123000000InitialSchema } from './Migration20261123000000_initial_schema.js';
import { Migration20261123100000OrganizationStructure } from './Migration20261123100000_organization_structure.js';
import { Migration20261123110000Attachments } from './Migration20261123110000_attachments.js';
import { Migration20261123120000Conversations } from './Migration20261123120000_conversations.js';
import { Migration20261202000000DeliveryCore } from './Migration20261202000000_delivery_core.js';
import { Migration20261202010000DeliveryLedger } from './Migration20261202010000_delivery_ledger.js';
import { Migration20261202020000ReconcilerIndexes } from './Migration20261202020000_reconciler_indexes.js';
import { Migration20261202030000ChatRequests } from './Migration20261202030000_chat_requests.js';
import { Migration20261202040000Campaigns } from './Migration20261202040000_campaigns.js';
import { Migration20261202050000ProviderEvents } from './Migration20261202050000_provider_events.js';
import { Migration20261202060000UserStatus } from './Migration20261202060000_user_status.js';
import { Migration20261202070000InboundEmailMessageId } from './Migration20261202070000_inbound_email_message_id.js';

import { Migration20261202080000RateLimits } from './Migration20261202080000_rate_limits.js';
import { Migration20261202090000Sessions } from './Migration20261202090000_sessions.js';
import { Migration20261202100000MessageSequence } from './Migration20261202100000_message_sequence.js';
/** Applied in this order; never edit a migration that has shipped, add a new one. */
export const MIGRATIONS = [
  { name: 'Migration20261123000000_initial_schema', class: Migration20261123000000InitialSchema },
  { name: 'Migration20261123100000_organization_structure', class: Migration20261123100000OrganizationStructure },
  { name: 'Migration20261123110000_attachments', class: Migration20261123110000Attachments },
  { name: 'Migration20261123120000_conversations', class: Migration20261123120000Conversations },
  { name: 'Migration20261202000000_delivery_core', class: Migration20261202000000DeliveryCore },
  { name: 'Migration20261202010000_delivery_ledger', class: Migration20261202010000DeliveryLedger },
  { name: 'Migration20261202020000_reconciler_indexes', class: Migration20261202020000ReconcilerIndexes },
  { name: 'Migration20261202030000_chat_requests', class: Migration20261202030000ChatRequests },
  { name: 'Migration20261202040000_campaigns', class: Migration20261202040000Campaigns },
  { name: 'Migration20261202050000_provider_events', class: Migration20261202050000ProviderEvents },
  { name: 'Migration20261202060000_user_status', class: Migration20261202060000UserStatus },
  { name: 'Migration20261202070000_inbound_email_message_id', class: Migration20261202070000InboundEmailMessageId },
  { name: 'Migration20261202080000_rate_limits', class: Migration20261202080000RateLimits },
  { name: 'Migration20261202090000_sessions', class: Migration20261202090000Sessions },
  { name: 'Migration20261202100000_message_sequence', class: Migration20261202100000MessageSequence },
];
