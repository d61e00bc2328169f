/**
 * One example request body per operation that takes a body, by operationId: shown in
 * `/openapi.json` (and so at `/docs`), and checked by the tests against the route's own body
 * schema, so an example can never drift into one the server refuses.
 */

const REWARD_ID = '01939a7e-4b10-7d52-8e3a-0c6b7f1d2a90';
const BUDGET_ID = '01939a7e-5c22-7a13-b4d5-6e7f8091a2b3';

export const REQUEST_EXAMPLES: Readonly<Record<string, unknown>> = Object.freeze({
  createTenant: {
    name: 'Corner Coffee',
    timezone: 'Africa/Harare',
    settings: { auto_enroll: true, currency: 'USD', points_expiry: '365d', inactive_after_days: 60 },
  },
  updateTenant: { name: 'Corner Coffee & Bakery', settings: { points_expiry: '180d' } },
  createCustomer: {
    phone: '+263771234567',
    external_ref: 'pos-4711',
    name: 'Tendai Moyo',
    birthday: '1990-04-12',
    attributes: { tier: 'gold' },
    tags: ['newsletter'],
  },
  updateCustomer: { name: 'Tendai M.', tags: ['newsletter', 'vip'] },
  setCustomerStatus: { status: 'blocked' },
  redeemPoints: { reward_id: REWARD_ID },
  adjustPoints: { amount: -150, reason: 'Scanned twice at till 3' },
  ingestEvent: {
    idempotency_key: 'till-3:receipt-000981',
    type: 'purchase',
    occurred_at: '2026-03-14T09:30:00Z',
    customer: { phone: '+263771234567' },
    data: { amount: 1250, currency: 'USD', store_id: 'harare-1', items: [{ sku: 'latte', qty: 2 }] },
  },
  dryRunEvent: {
    type: 'purchase',
    customer: { external_ref: 'pos-4711' },
    data: { amount: 4000, currency: 'USD' },
  },
  createRule: {
    name: 'A point per dollar',
    priority: 10,
    event_types: ['purchase'],
    condition: { '>=': [{ var: 'event.data.amount' }, 500] },
    reward_id: REWARD_ID,
    quantity: { floor: [{ '/': [{ var: 'event.data.amount' }, 100] }] },
    caps: [{ scope: 'customer', max: 3, window: 'day' }],
    budget_id: BUDGET_ID,
  },
  updateRule: { active: false, version: 2 },
  validateRule: { condition: { '>': [{ var: 'event.data.amount' }, 1000] } },
  testRule: {
    condition: { '>': [{ var: 'event.data.amount' }, 1000] },
    quantity: { floor: [{ '/': [{ var: 'event.data.amount' }, 100] }] },
    context: { event: { type: 'purchase', data: { amount: 2500 } } },
  },
  createReward: {
    name: '10% off the next coffee',
    type: 'discount_percent',
    value: 10,
    cost: 50,
    issue_mode: 'immediate',
    validity: '30d',
  },
  updateReward: { active: false },
  uploadRewardCodes: { codes: ['SPRING-7Q2K', 'SPRING-9XJ4', 'SPRING-M3PA'] },
  generateRewardCodes: { count: 500, length: 8, prefix: 'SPRING-', charset: 'safe' },
  redeemIssuanceByCode: { code: 'SPRING-7Q2K' },
  cancelIssuance: { reason: 'refunded at the till' },
  createBudget: {
    name: 'Monthly rewards',
    unit: 'USD',
    limit: 50000,
    period: 'month',
    hard_cap: true,
    soft_cap_ratio: 0.8,
  },
  updateBudget: { limit: 75000 },
  topUpBudget: { amount: 10000 },
  createCampaign: {
    name: 'Spring double points',
    starts_at: '2026-03-01T00:00:00Z',
    ends_at: '2026-03-31T23:59:59Z',
    budget_id: BUDGET_ID,
  },
  updateCampaign: { ends_at: '2026-04-15T23:59:59Z' },
  createWebhook: {
    url: 'https://shop.example/hooks/laas',
    events: ['reward.issued', 'reward.redeemed', 'budget.threshold'],
  },
  updateWebhook: { active: false },
  createApiKey: { name: 'Till 3', role: 'pos' },
  putUssdSettings: { service_code: '*384*12#', language: 'en', allow_join: true },
  putTierProgramme: {
    measure: 'spend',
    window: { rolling: '365d' },
    grace: '30d',
    levels: [
      { name: 'Bronze', threshold: 0 },
      { name: 'Silver', threshold: 50000 },
      { name: 'Gold', threshold: 200000 },
    ],
  },
  putWhatsAppSettings: {
    phone_number_id: '109876543210987',
    display_phone_number: '+263 77 123 4567',
    access_token: 'EAAGm0PX4ZCpsBAexampleexampleexample',
    app_secret: '0123456789abcdef0123456789abcdef',
    verify_token: 'corner-coffee-verify',
    enrollment_code: 'CORNER',
    language: 'en',
  },
  putSharedWhatsApp: {
    phone_number_id: '109876543210999',
    display_phone_number: '+263 77 000 0000',
    access_token: 'EAAGm0PX4ZCpsBAsharedsharedshared',
    app_secret: 'fedcba9876543210fedcba9876543210',
    verify_token: 'platform-shared-verify',
    language: 'en',
  },
  putSharedUssd: { service_code: '*384*100#', callback_secret: 'k3Jd9sLq0pXv7TzW2mNa' },
  putSharedMerchant: { code: 'KOFI', whatsapp: true, ussd: true },
});
