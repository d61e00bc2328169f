import {
  PLATFORM_TENANT_ID,
  type SharedChannelConfig,
  type SharedChannelKind,
  type SharedChannelPlatformRepository,
  type SharedMerchant,
  type SharedMerchantRepository,
} from '@laas/core';
import { defineSql, type Runner } from '../query.js';
import type { Scope } from './scope.js';

interface MerchantRow {
  tenant_id: string;
  code: string;
  whatsapp: number;
  ussd: number;
  created_at: string;
  updated_at: string;
}

const fromRow = (row: MerchantRow): SharedMerchant => ({
  tenant_id: row.tenant_id,
  code: row.code,
  whatsapp: row.whatsapp === 1,
  ussd: row.ussd === 1,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

const getMerchant = defineSql('SELECT * FROM shared_merchants WHERE tenant_id = @tenant_id');
/** A code held by another tenant fails on the code's own unique index, changing nothing. */
const putMerchant = defineSql(
  `INSERT INTO shared_merchants (tenant_id, code, whatsapp, ussd, created_at, updated_at)
   VALUES (@tenant_id, @code, @whatsapp, @ussd, @created_at, @updated_at)
   ON CONFLICT (tenant_id) DO UPDATE SET code = excluded.code, whatsapp = excluded.whatsapp,
     ussd = excluded.ussd, created_at = excluded.created_at, updated_at = excluded.updated_at`,
);
const deleteMerchant = defineSql('DELETE FROM shared_merchants WHERE tenant_id = @tenant_id');
const merchantByCode = defineSql('SELECT * FROM shared_merchants WHERE code = @code');
const merchantsOfPhone = defineSql(
  `SELECT m.* FROM shared_merchants m
   JOIN customers c ON c.tenant_id = m.tenant_id AND c.phone = @phone AND c.status <> 'erased'
   WHERE (@channel = 'whatsapp' AND m.whatsapp = 1) OR (@channel = 'ussd' AND m.ussd = 1)
   ORDER BY m.code`,
);
const getChannel = defineSql(
  'SELECT * FROM platform_channels WHERE tenant_id = @platform AND channel = @channel',
);
const putChannel = defineSql(
  `INSERT INTO platform_channels (tenant_id, channel, config, updated_at)
   VALUES (@platform, @channel, @config, @updated_at)
   ON CONFLICT (tenant_id, channel) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
);
const getSelection = defineSql(
  'SELECT selected_tenant_id FROM shared_selections WHERE tenant_id = @platform AND phone = @phone',
);
/** The guard is in the statement: nothing is written unless the phone belongs to the merchant. */
const select = defineSql(
  `INSERT INTO shared_selections (tenant_id, phone, selected_tenant_id, updated_at)
   SELECT @platform, @phone, m.tenant_id, @now FROM shared_merchants m
   JOIN customers c ON c.tenant_id = m.tenant_id AND c.phone = @phone AND c.status <> 'erased'
   WHERE m.tenant_id = @tenant_id AND m.whatsapp = 1
   ON CONFLICT (tenant_id, phone) DO UPDATE SET selected_tenant_id = excluded.selected_tenant_id,
     updated_at = excluded.updated_at`,
);

/** The SQLite {@link SharedMerchantRepository}. */
export class SqliteSharedMerchantRepository implements SharedMerchantRepository {
  constructor(private readonly s: Scope) {}

  async getMerchant(): Promise<SharedMerchant | null> {
    const row = this.s.r.get<MerchantRow>(getMerchant, { tenant_id: this.s.tenantId });
    return row === undefined ? null : fromRow(row);
  }

  async putMerchant(merchant: SharedMerchant): Promise<void> {
    const row = this.s.own(
      { ...merchant, whatsapp: merchant.whatsapp ? 1 : 0, ussd: merchant.ussd ? 1 : 0 },
      'shared merchant',
    );
    this.s.unique('shared merchant', row, () => this.s.r.run(putMerchant, row));
  }

  async deleteMerchant(): Promise<boolean> {
    return this.s.r.run(deleteMerchant, { tenant_id: this.s.tenantId }) > 0;
  }
}

/**
 * The SQLite {@link SharedChannelPlatformRepository}. `exclusive` runs a function between
 * transactions (the store's mutex), so each method sees committed rows and writes atomically.
 */
export function sqliteSharedChannelPlatform(
  runner: Runner,
  exclusive: <T>(fn: () => T) => Promise<T>,
): SharedChannelPlatformRepository {
  return {
    getSharedChannel: (channel: SharedChannelKind) =>
      exclusive(() => {
        const row = runner.get<{ channel: SharedChannelKind; config: string; updated_at: string }>(
          getChannel,
          { platform: PLATFORM_TENANT_ID, channel },
        );
        return row === undefined
          ? null
          : { channel: row.channel, config: JSON.parse(row.config), updated_at: row.updated_at };
      }),
    putSharedChannel: (config: SharedChannelConfig) =>
      exclusive(() => {
        runner.run(putChannel, {
          platform: PLATFORM_TENANT_ID,
          channel: config.channel,
          config: JSON.stringify(config.config),
          updated_at: config.updated_at,
        });
      }),
    findSharedMerchant: (code: string) =>
      exclusive(() => {
        const row = runner.get<MerchantRow>(merchantByCode, { code });
        return row === undefined ? null : fromRow(row);
      }),
    listSharedMerchantsOfPhone: (phone: string, channel: SharedChannelKind) =>
      exclusive(() => runner.all<MerchantRow>(merchantsOfPhone, { phone, channel }).map(fromRow)),
    getSharedSelection: (phone: string) =>
      exclusive(
        () =>
          runner.get<{ selected_tenant_id: string }>(getSelection, { platform: PLATFORM_TENANT_ID, phone })
            ?.selected_tenant_id ?? null,
      ),
    selectSharedMerchant: (phone: string, tenantId: string, now: string) =>
      exclusive(
        () => runner.run(select, { platform: PLATFORM_TENANT_ID, phone, tenant_id: tenantId, now }) > 0,
      ),
  };
}
