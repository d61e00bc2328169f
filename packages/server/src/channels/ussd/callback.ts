import { LaasError, type PlatformRepository, StateConflictError, type UssdSettings } from '@laas/core';
import type { Logger } from 'pino';
import { maskPhones } from '../../logging.js';
import { type GatewayReply, gatewayNamed, USSD_GATEWAYS, type UssdAnswer } from './gateways.js';
import { toE164 } from './phone.js';
import { answerUssd, endAnswer, type UssdSessionDeps } from './session.js';
import { ussdTexts } from './strings.js';

export interface UssdCallbackDeps extends UssdSessionDeps {
  readonly logger: Logger;
  readonly platform: Pick<PlatformRepository, 'findUssdByServiceCode'>;
  /**
   * Whether this callback may act for the tenant whose settings hold its service code (the
   * secret in its URL, the caller's address). False: the callback is answered "not found".
   */
  readonly authorize: (settings: UssdSettings) => boolean;
}

/** Answers for requests no tenant's texts apply to (gateways show them to the customer as is). */
export const USSD_INVALID_REQUEST = 'Invalid request.';
export const USSD_NOT_CONFIGURED = 'This service is not configured.';

/**
 * One gateway callback from start to answer: picks the gateway (`?gateway=`, Africa's Talking by
 * default), reads its form fields, finds the tenant by service code, runs the menus, and formats
 * the answer. It never throws and never answers JSON: whatever goes wrong, the gateway gets an
 * `END` text it can show the customer, and the reason goes to the log (phones masked). Null when
 * the caller is not authorized for the service code it names (or names none that exists): the
 * route answers 404, and nothing about the request (no phone) is logged or recorded.
 */
export async function handleUssdCallback(
  deps: UssdCallbackDeps,
  gatewayName: string | undefined,
  rawBody: string,
): Promise<GatewayReply | null> {
  const gateway = gatewayNamed(gatewayName);
  if (gateway === undefined) return null;
  const fallback = USSD_GATEWAYS[0] as NonNullable<typeof gateway>;
  const refuse = (reason: string, answer: UssdAnswer = endAnswer(USSD_INVALID_REQUEST)): GatewayReply => {
    deps.logger.warn(
      { gateway: gatewayName ?? fallback.name, reason: maskPhones(reason) },
      'ussd request refused',
    );
    return (gateway ?? fallback).format(answer);
  };
  const request = gateway.parse(new URLSearchParams(rawBody));
  // Nothing is said about a request before it is known to come from the tenant's gateway.
  if ('error' in request) return null;
  let settings: UssdSettings | null;
  try {
    settings = await deps.platform.findUssdByServiceCode(request.serviceCode);
  } catch (error) {
    deps.logger.error({ err: describe(error) }, 'ussd: service code lookup failed');
    return gateway.format(endAnswer(ussdTexts({})('error.retry')));
  }
  if (settings === null || !deps.authorize(settings)) return null;
  const phone = toE164(request.phoneNumber);
  if (phone === null) return refuse(`phone number not in international form: ${request.phoneNumber}`);
  const t = ussdTexts(settings.strings);
  try {
    return gateway.format(await answerUssd(deps, settings, { ...request, phone }));
  } catch (error) {
    // A reward redeemed, expired or cancelled since the list was shown (or another race the
    // state machine refused): the customer is told so, nothing was written.
    const gone =
      (error instanceof StateConflictError && error.name !== 'UniqueViolationError') ||
      (error instanceof LaasError && error.code === 'NOT_FOUND' && error.details?.entity === 'issuance');
    if (gone) return gateway.format(endAnswer(t('redeem.unavailable')));
    const level = error instanceof LaasError && error.code !== 'INTERNAL_ERROR' ? 'warn' : 'error';
    deps.logger[level]({ tenant: settings.tenant_id, err: describe(error) }, 'ussd request failed');
    return gateway.format(endAnswer(t('error.retry')));
  }
}

function describe(error: unknown): { type: string; message: string } {
  const err = error instanceof Error ? error : new Error(String(error));
  return { type: err.name, message: maskPhones(err.message) };
}
