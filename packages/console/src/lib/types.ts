/** The API's entities as the console reads them (the core's interfaces: JSON over the wire). */
export type {
  Customer,
  CustomerExport,
  Decision,
  IngestResult,
  Issuance,
  LoyaltyEvent,
  PointsLedgerEntry,
  Reward,
  WebhookDelivery,
  WebhookDeliveryWithAttempts,
  WebhookSubscription,
} from '@laas/core';
