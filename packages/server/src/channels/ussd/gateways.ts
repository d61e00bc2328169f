/**
 * USSD gateways: how one gateway's callback names the session, the dialled code, the phone and
 * the input, and how it wants the answer. The menus never see a gateway's field names; adding a
 * gateway is one more {@link UssdGateway} in {@link USSD_GATEWAYS} (see docs/ussd.md).
 */

/** One callback, in the gateway-neutral form the menus read. */
export interface UssdRequest {
  /** The gateway's id of the session (the same on every request of one dial). */
  sessionId: string;
  /** The code dialled, as configured in the tenant's settings (`*384*123#`). */
  serviceCode: string;
  /** The customer's phone, as the gateway sends it (normalised to E.164 later). */
  phoneNumber: string;
  /** Every input of the session so far joined with `*` (`''` on the first request, then `3*1`). */
  text: string;
}

/** What the menus answer: `CON` shows a menu and waits for input, `END` closes the session. */
export interface UssdAnswer {
  kind: 'CON' | 'END';
  /** GSM-7 text that fits one message with its prefix (see `fitUssd`). */
  text: string;
}

/** The HTTP answer a gateway expects. */
export interface GatewayReply {
  body: string;
  headers: Record<string, string>;
}

/** A parse failure: the first missing or malformed field, said in a few words for the log. */
export interface GatewayParseError {
  error: string;
}

export interface UssdGateway {
  /** The `?gateway=` value that selects it. */
  readonly name: string;
  /** Reads the form fields of one callback; a {@link GatewayParseError} when a field is missing. */
  parse(form: URLSearchParams): UssdRequest | GatewayParseError;
  /** The HTTP answer for `answer`. */
  format(answer: UssdAnswer): GatewayReply;
}

const MAX_FIELD = 200;
const MAX_TEXT = 500;

/** A required form field, trimmed; null when missing, empty or too long. */
function field(form: URLSearchParams, name: string, max = MAX_FIELD): string | null {
  const value = form.get(name)?.trim();
  return value === undefined || value === '' || value.length > max ? null : value;
}

/** `text` may be empty (the first request) but must be present-or-empty and short. */
function input(form: URLSearchParams, name: string): string | null {
  const value = form.get(name) ?? '';
  return value.length > MAX_TEXT ? null : value.trim();
}

function read(
  form: URLSearchParams,
  names: { sessionId: string; serviceCode: string; phoneNumber: string; text: string },
): UssdRequest | GatewayParseError {
  const sessionId = field(form, names.sessionId);
  if (sessionId === null) return { error: `missing or invalid ${names.sessionId}` };
  const serviceCode = field(form, names.serviceCode);
  if (serviceCode === null) return { error: `missing or invalid ${names.serviceCode}` };
  const phoneNumber = field(form, names.phoneNumber, 32);
  if (phoneNumber === null) return { error: `missing or invalid ${names.phoneNumber}` };
  const text = input(form, names.text);
  if (text === null) return { error: `${names.text} is too long` };
  return { sessionId, serviceCode, phoneNumber, text };
}

/**
 * Africa's Talking (the default): `sessionId, serviceCode, phoneNumber, networkCode, text`, and a
 * `text/plain` answer starting with `CON ` or `END `.
 */
export const africasTalkingGateway: UssdGateway = {
  name: 'africastalking',
  parse: (form) =>
    read(form, {
      sessionId: 'sessionId',
      serviceCode: 'serviceCode',
      phoneNumber: 'phoneNumber',
      text: 'text',
    }),
  format: (answer) => ({
    body: `${answer.kind} ${answer.text}`,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  }),
};

/**
 * The `msisdn` convention several aggregators use: `session_id, msisdn, ussd_string,
 * service_code`, where `ussd_string` is the input so far joined with `*` like Africa's Talking's
 * `text`. Answered the same way, plus the `Freeflow` header some of them read (`FC`: continue,
 * `FB`: break).
 */
export const msisdnGateway: UssdGateway = {
  name: 'msisdn',
  parse: (form) =>
    read(form, {
      sessionId: 'session_id',
      serviceCode: 'service_code',
      phoneNumber: 'msisdn',
      text: 'ussd_string',
    }),
  format: (answer) => ({
    body: `${answer.kind} ${answer.text}`,
    headers: { 'content-type': 'text/plain; charset=utf-8', freeflow: answer.kind === 'CON' ? 'FC' : 'FB' },
  }),
};

/** The gateways `?gateway=` can select; the first is the default. */
export const USSD_GATEWAYS: readonly UssdGateway[] = [africasTalkingGateway, msisdnGateway];

/** The gateway named `name` (the default when undefined), or undefined when none has that name. */
export function gatewayNamed(name: string | undefined): UssdGateway | undefined {
  if (name === undefined || name === '') return USSD_GATEWAYS[0];
  return USSD_GATEWAYS.find((g) => g.name === name.toLowerCase());
}
