/**
 * The ways a message reaches its recipient. `message_center` is the in-app inbox; the rest are providers.
 * Defined here, with no imports, so workflows can use them; libs/channels re-exports them for everyone else.
 */
export const CHANNELS = ['message_center', 'push', 'email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The channels an outside provider delivers; the message center is the platform's own. */
export type ProviderChannel = Exclude<Channel, 'message_center'>;
export const PROVIDER_CHANNELS = ['push', 'email', 'sms'] as const satisfies readonly ProviderChannel[];
export const isProviderChannel = (channel: Channel): channel is ProviderChannel => channel !== 'message_center';
