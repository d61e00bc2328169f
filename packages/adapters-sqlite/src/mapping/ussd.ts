import type { UssdSettings } from '@laas/core';
import type { UssdSettingsTable } from '../schema.js';
import { fromBool, fromJson, toBool, toJson, toTs } from './helpers.js';

export function ussdToRow(u: UssdSettings): UssdSettingsTable {
  return {
    tenant_id: u.tenant_id,
    service_code: u.service_code,
    language: u.language,
    strings: toJson(u.strings ?? {}),
    allow_join: toBool(u.allow_join),
    created_at: toTs(u.created_at),
    updated_at: toTs(u.updated_at),
    callback_secret_hash: u.callback_secret_hash ?? null,
    allowed_ips: toJson(u.allowed_ips ?? []),
  };
}

export function ussdFromRow(r: UssdSettingsTable): UssdSettings {
  return {
    tenant_id: r.tenant_id,
    service_code: r.service_code,
    language: r.language,
    strings: fromJson<Record<string, string>>(r.strings),
    allow_join: fromBool(r.allow_join),
    created_at: r.created_at,
    updated_at: r.updated_at,
    callback_secret_hash: r.callback_secret_hash ?? null,
    allowed_ips: r.allowed_ips === undefined ? [] : fromJson<string[]>(r.allowed_ips),
  };
}
