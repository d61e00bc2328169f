/**
 * The shared USSD code: one service code for many merchants. The first menu lists the merchants
 * the phone belongs to (five a page, `9` for more) and `0` to type a merchant's code (which is
 * also how a phone joins one); after a merchant is chosen, the rest of the session is that
 * merchant's own menu (`answerUssd`, the code a tenant's own service code runs), scoped to it.
 *
 * ```
 * ''          CON Choose a shop: 1 Kofi Coffee ... 0 Enter a shop code [9 More]
 * 9           the next page (9*9 the one after)
 * n           the merchant's menu (n*1 balance, n*3*1*1 redeem, ...)
 * 0           CON Enter the shop code:
 * 0*KOFI      the merchant's menu, or its join screen (0*KOFI*1 joins)
 * ```
 * The shared layer itself writes nothing; the merchant's hops are idempotent as on its own code.
 */
import {
  LaasError,
  type SharedMerchant,
  StateConflictError,
  type Store,
  type UssdSettings,
} from '@laas/core';
import type { Logger } from 'pino';
import { maskPhones } from '../../logging.js';
import { type GatewayReply, gatewayNamed, type UssdAnswer } from '../ussd/gateways.js';
import { fitUssd, toGsm7 } from '../ussd/gsm7.js';
import { toE164 } from '../ussd/phone.js';
import { answerUssd, endAnswer, USSD_MAX, type UssdSessionDeps } from '../ussd/session.js';
import { ussdTexts } from '../ussd/strings.js';
import { normaliseCode } from '../whatsapp/commands.js';
import { hashSecret, type SharedUssdConfig } from './config.js';

/** Merchants listed per page of the first menu. */
export const SHARED_USSD_PAGE = 5;
const BODY_MAX = USSD_MAX - 4;

export const SHARED_USSD_TEXTS = Object.freeze({
  title: 'Choose a shop:',
  code_option: 'Enter a shop code',
  more: 'More',
  enter_code: 'Enter the shop code:',
  unknown_merchant: 'Unknown shop code.',
  invalid: 'Invalid choice. Please dial again.',
  error: 'Sorry, something went wrong. Please try again later.',
});

export interface SharedUssdDeps extends UssdSessionDeps {
  readonly store: Store;
  readonly logger: Logger;
}

const con = (text: string): UssdAnswer => ({ kind: 'CON', text: fitUssd(text, BODY_MAX) });

/**
 * One callback on the shared code. Null (answer 404, nothing logged about the phone) when the
 * shared code is not set up, or the secret or service code is not its own.
 */
export async function handleSharedUssd(
  deps: SharedUssdDeps,
  secret: string,
  gatewayName: string | undefined,
  rawBody: string,
): Promise<GatewayReply | null> {
  const gateway = gatewayNamed(gatewayName);
  if (gateway === undefined) return null;
  const row = await deps.store.platform.getSharedChannel('ussd');
  if (row === null) return null;
  const config = row.config as unknown as SharedUssdConfig;
  if (hashSecret(secret) !== config.callback_secret_hash) return null;
  const request = gateway.parse(new URLSearchParams(rawBody));
  if ('error' in request || request.serviceCode !== config.service_code) return null;
  const phone = toE164(request.phoneNumber);
  if (phone === null) return gateway.format(endAnswer(SHARED_USSD_TEXTS.invalid));

  const segments = request.text === '' ? [] : request.text.split('*').map((s) => s.trim());
  const mine = await deps.store.platform.listSharedMerchantsOfPhone(phone, 'ussd');
  let page = 0;
  let i = 0;
  while (segments[i] === '9' && (page + 1) * SHARED_USSD_PAGE < mine.length) {
    page++;
    i++;
  }
  const pick = segments[i];
  if (pick === undefined) return gateway.format(await firstMenu(deps, mine, page));
  let merchant: SharedMerchant | undefined;
  let viaCode = false;
  let rest: string[];
  if (pick === '0') {
    const typed = segments[i + 1];
    if (typed === undefined) return gateway.format(con(SHARED_USSD_TEXTS.enter_code));
    const found = await deps.store.platform.findSharedMerchant(normaliseCode(typed));
    // A code of a merchant that has not opted in reads exactly like a code nobody holds.
    if (found === null || !found.ussd) return gateway.format(endAnswer(SHARED_USSD_TEXTS.unknown_merchant));
    merchant = found;
    viaCode = true;
    rest = segments.slice(i + 2);
  } else {
    const n = /^[1-9]$/.test(pick) ? Number(pick) : 0;
    merchant = n >= 1 && n <= SHARED_USSD_PAGE ? mine[page * SHARED_USSD_PAGE + n - 1] : undefined;
    if (merchant === undefined) return gateway.format(endAnswer(SHARED_USSD_TEXTS.invalid));
    rest = segments.slice(i + 1);
  }
  const settings = await merchantSettings(deps, merchant, viaCode, config);
  try {
    const answer = await answerUssd(deps, settings, {
      ...request,
      // One session names one merchant (the choice is a prefix of every later input).
      sessionId: `shared:${request.sessionId}`,
      text: rest.join('*'),
      phone,
    });
    return gateway.format(answer);
  } catch (error) {
    const t = ussdTexts(settings.strings);
    const gone =
      (error instanceof StateConflictError && error.name !== 'UniqueViolationError') ||
      (error instanceof LaasError && error.code === 'NOT_FOUND' && error.details?.entity === 'issuance');
    if (gone) return gateway.format(endAnswer(t('redeem.unavailable')));
    deps.logger.warn(
      {
        tenant: merchant.tenant_id,
        err: { message: maskPhones(error instanceof Error ? error.message : String(error)) },
      },
      'shared ussd request failed',
    );
    return gateway.format(endAnswer(t('error.retry')));
  }
}

async function firstMenu(deps: SharedUssdDeps, mine: SharedMerchant[], page: number): Promise<UssdAnswer> {
  const lines: string[] = [SHARED_USSD_TEXTS.title];
  const shown = mine.slice(page * SHARED_USSD_PAGE, (page + 1) * SHARED_USSD_PAGE);
  for (const [n, m] of shown.entries()) {
    const tenant = await deps.store.platform.getTenant(m.tenant_id);
    lines.push(`${n + 1} ${toGsm7(tenant?.name ?? m.code).slice(0, 22)}`);
  }
  lines.push(`0 ${SHARED_USSD_TEXTS.code_option}`);
  if ((page + 1) * SHARED_USSD_PAGE < mine.length) lines.push(`9 ${SHARED_USSD_TEXTS.more}`);
  return con(lines.join('\n'));
}

/** The settings `answerUssd` reads: the merchant's own texts when it has a code of its own. */
async function merchantSettings(
  deps: SharedUssdDeps,
  merchant: SharedMerchant,
  viaCode: boolean,
  config: SharedUssdConfig,
): Promise<UssdSettings> {
  const own = await deps.engine.transaction(merchant.tenant_id, (tx) => tx.ussd.getSettings());
  return {
    tenant_id: merchant.tenant_id,
    service_code: config.service_code,
    language: own?.language ?? 'en',
    strings: own?.strings ?? {},
    // Joining happens by typing the merchant's code; a listed merchant is one the phone belongs to.
    allow_join: viaCode,
    callback_secret_hash: null,
    allowed_ips: [],
    created_at: merchant.created_at,
    updated_at: merchant.updated_at,
  } as UssdSettings;
}
