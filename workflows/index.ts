// The worker's workflow bundle: every workflow Tidings runs is exported here.
export { scheduledMessage } from './scheduled-message.js';
export { conversationMessage } from './conversation-message.js';
export { reconcile } from './reconcile.js';
export { chatRequest } from './chat-request.js';
export { campaign } from './campaign.js';
export { deliveryFallback } from './delivery-fallback.js';
export { cleanUpUploads } from './upload-cleanup.js';
