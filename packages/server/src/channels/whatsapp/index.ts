/** The WhatsApp Cloud API channel (see docs/whatsapp.md). */
export { BUTTON_IDS, type Command, parseCommand } from './commands.js';
export { WHATSAPP_RETRY_SCHEDULE } from './delivery.js';
export { type JoinLink, joinLink, joinQrPng, joinQrSvg } from './join-link.js';
export { createWhatsAppChannel, type WhatsAppChannel, type WhatsAppChannelOptions } from './service.js';
export { signPayload, verifySignature } from './signature.js';
export { DEFAULT_STRINGS, STRING_KEYS, type StringKey } from './strings.js';
