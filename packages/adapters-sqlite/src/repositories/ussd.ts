import type { UssdRepository, UssdSettings } from '@laas/core';
import { ussdFromRow, ussdToRow } from '../mapping/ussd.js';
import { defineQuery, defineSql, p } from '../query.js';
import type { UssdSettingsTable } from '../schema.js';
import type { Scope } from './scope.js';

const getSettings = defineQuery((db) =>
  db.selectFrom('ussd_settings').selectAll().where('tenant_id', '=', p('tenant_id')),
);
/**
 * Insert or replace by tenant. A service code held by another tenant fails on the code's own
 * unique index (`UNIQUE constraint failed: ussd_settings.service_code`), changing nothing.
 */
const putSettings = defineSql(
  `INSERT INTO ussd_settings (tenant_id, service_code, language, strings, allow_join, callback_secret_hash,
     allowed_ips, created_at, updated_at)
   VALUES (@tenant_id, @service_code, @language, @strings, @allow_join, @callback_secret_hash, @allowed_ips,
     @created_at, @updated_at)
   ON CONFLICT (tenant_id) DO UPDATE SET
     service_code = excluded.service_code, language = excluded.language, strings = excluded.strings,
     allow_join = excluded.allow_join, callback_secret_hash = excluded.callback_secret_hash,
     allowed_ips = excluded.allowed_ips, created_at = excluded.created_at, updated_at = excluded.updated_at`,
);
const deleteSettings = defineQuery((db) =>
  db.deleteFrom('ussd_settings').where('tenant_id', '=', p('tenant_id')),
);

export class SqliteUssdRepository implements UssdRepository {
  constructor(private readonly s: Scope) {}

  async getSettings(): Promise<UssdSettings | null> {
    const row = this.s.r.get<UssdSettingsTable>(getSettings, { tenant_id: this.s.tenantId });
    return row === undefined ? null : ussdFromRow(row);
  }

  async putSettings(settings: UssdSettings): Promise<void> {
    const row = this.s.own(ussdToRow(settings), 'USSD settings');
    this.s.unique('USSD settings', row, () => this.s.r.run(putSettings, row));
  }

  async deleteSettings(): Promise<boolean> {
    return this.s.r.run(deleteSettings, { tenant_id: this.s.tenantId }) > 0;
  }
}
