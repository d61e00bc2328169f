import { createHash } from 'node:crypto';
import { type Customer, type Engine, type Issuance, localNow, type UssdSettings } from '@laas/core';
import { redeemable } from '../redeemable.js';
import type { UssdAnswer, UssdRequest } from './gateways.js';
import { fitUssd, gsm7Length, toGsm7 } from './gsm7.js';
import { type UssdText, ussdTexts } from './strings.js';

/** One USSD message holds 182 GSM-7 characters; `CON ` / `END ` take 4 of them. */
export const USSD_MAX = 182;
const BODY_MAX = USSD_MAX - 4;

/** What one hop answers, as stored under its `(sessionId, text)` key. */
interface Hop extends UssdAnswer {
  /** At `3`: the issuance ids shown, in the order shown (choice `n` is `choices[n - 1]`). */
  choices?: string[];
}

export interface UssdSessionDeps {
  readonly engine: Engine;
}

/** A callback after the gateway and the tenant are known, with the phone in E.164. */
export interface UssdCall extends UssdRequest {
  phone: string;
}

/**
 * Answers one USSD request of a tenant. Every request is one `engine.idempotent` call keyed by
 * `ussd:<sessionId>:<text>`: its answer is stored in the same transaction as whatever it changed
 * (a join, a redemption), and a repeated request — gateways resend — gets the stored answer
 * without running again, so a confirmation never redeems twice. The list shown at `3` is stored
 * the same way and read back (not recomputed) at `3*n` and `3*n*1`, so choice `n` names the same
 * reward even if rewards arrived or went meanwhile.
 *
 * Menus (`text` is every input so far joined with `*`):
 * ```
 * ''      member: CON <shop> 1 Balance 2 My rewards 3 Redeem
 *         not a member: CON Welcome 1 Join (allow_join) | END not a member
 * 1       member: END balance | not a member: join, then the members' menu (later inputs: 1*...)
 * 2       END the issued rewards with codes and expiry dates
 * 3       CON the redeemable rewards, numbered
 * 3*n     CON Redeem <reward>? 1 Yes 2 No
 * 3*n*1   END redeemed (with the code) | 3*n*2  END cancelled
 * ```
 * Errors an engine call throws propagate (nothing is stored); the caller turns them into `END`.
 */
export async function answerUssd(
  deps: UssdSessionDeps,
  settings: UssdSettings,
  call: UssdCall,
): Promise<UssdAnswer> {
  const { engine } = deps;
  const tenantId = settings.tenant_id;
  const t = ussdTexts(settings.strings);

  const hop = async (text: string): Promise<Hop> => {
    const fingerprint = createHash('sha256')
      .update(`${call.serviceCode}\n${call.phone}\n${text}`, 'utf8')
      .digest('hex');
    const result = await engine.idempotent(
      tenantId,
      { key: `ussd:${call.sessionId}:${text}`, fingerprint },
      async () => ({ status: 200, body: await compute(text) }),
    );
    return result.body as Hop;
  };

  const compute = async (text: string): Promise<Hop> => {
    // Inside the hop's transaction (engine calls join it): a customer who joined earlier in this
    // session is found.
    const customer = await engine.transaction(tenantId, (tx) => tx.customers.findByPhone(call.phone));
    const tenant = await engine.tenants.get(tenantId);
    const shop = tenant.name;
    const segments = text === '' ? [] : text.split('*').map((s) => s.trim());
    if (customer === null) return notMember(segments, shop);
    if (customer.status !== 'active') return end(t('member.inactive', { shop }));
    // A member who joined earlier in this session navigates below the `1` of the join screen;
    // for a member from the start `1` is final (END), so the prefix is unambiguous.
    const joined = segments.length >= 2 && segments[0] === '1';
    const prefix = joined ? '1*' : '';
    const path = joined ? segments.slice(1) : segments;
    const [first, choice, confirm, ...rest] = path;
    if (first === undefined) return con(`${t('menu.title', { shop })}\n${menuOptions(t)}`);
    if (first === '1' && choice === undefined) {
      const { balance } = await engine.points.balance(tenantId, customer.id);
      return end(t('balance.text', { points: balance, shop }));
    }
    if (first === '2' && choice === undefined) return rewardsList(customer, tenant.timezone);
    if (first === '3') {
      if (choice === undefined) return redeemList(customer);
      const shown = choice === '' ? undefined : await hop(`${prefix}3`);
      const index = /^[1-9][0-9]{0,2}$/.test(choice) ? Number(choice) - 1 : -1;
      const issuanceId = shown?.choices?.[index];
      if (issuanceId === undefined) return end(t('error.choice'));
      const issuance = await engine.issuances.get(tenantId, issuanceId);
      const reward = await engine.rewards.get(tenantId, issuance.reward_id);
      if (confirm === undefined) {
        return con(
          `${t('redeem.confirm', { reward: reward.name })}\n1 ${t('redeem.yes')}\n2 ${t('redeem.no')}`,
        );
      }
      if (rest.length === 0 && confirm === '2') return end(t('redeem.cancelled'));
      if (rest.length === 0 && confirm === '1') {
        const redeemed = await engine.redeem(tenantId, { issuance_id: issuance.id });
        const code = redeemed.code === null ? '' : `\n${t('redeem.code', { code: redeemed.code })}`;
        return end(`${t('redeem.done', { reward: reward.name })}${code}`);
      }
    }
    return end(t('error.choice'));
  };

  const notMember = async (segments: string[], shop: string): Promise<Hop> => {
    if (!settings.allow_join) return end(t('join.closed', { shop }));
    if (segments.length === 0) return con(`${t('join.welcome', { shop })}\n1 ${t('join.option')}`);
    if (segments.length === 1 && segments[0] === '1') {
      await engine.customers.create(tenantId, { phone: call.phone });
      return con(`${t('join.done', { shop })}\n${menuOptions(t)}`);
    }
    return end(t('error.choice'));
  };

  /** The customer's redeemable rewards, in the order every channel lists them. */
  const listed = async (member: Customer): Promise<Array<{ issuance: Issuance; name: string }>> => {
    const now = new Date().toISOString();
    const items = await engine.transaction(tenantId, (tx) => redeemable(tx, member.id, now));
    return items.map(({ issuance, reward }) => ({ issuance, name: reward.name }));
  };

  const rewardsList = async (member: Customer, timeZone: string): Promise<Hop> => {
    const items = await listed(member);
    if (items.length === 0) return end(t('rewards.none'));
    const lines = items.map(({ issuance, name }) =>
      t('rewards.item', {
        reward: name,
        code: issuance.code ?? '',
        expires:
          issuance.expires_at === null
            ? ''
            : t('rewards.expires', { date: localNow(issuance.expires_at, timeZone).date }),
      }),
    );
    return end(`${t('rewards.title')}\n${lines.join('\n')}`);
  };

  const redeemList = async (member: Customer): Promise<Hop> => {
    const items = await listed(member);
    if (items.length === 0) return end(t('redeem.none'));
    // As many options as fit one screen: the ones shown are the ones a choice can name.
    let text = toGsm7(t('redeem.title'));
    const choices: string[] = [];
    for (const { issuance, name } of items) {
      const line = toGsm7(`${choices.length + 1} ${name}`).slice(0, 40);
      if (gsm7Length(`${text}\n${line}`) > BODY_MAX) break;
      text = `${text}\n${line}`;
      choices.push(issuance.id);
    }
    return { ...con(text), choices };
  };

  return stripChoices(await hop(call.text));
}

function menuOptions(t: UssdText): string {
  return `1 ${t('menu.balance')}\n2 ${t('menu.rewards')}\n3 ${t('menu.redeem')}`;
}

function con(text: string): Hop {
  return { kind: 'CON', text: fitUssd(text, BODY_MAX) };
}

function end(text: string): Hop {
  return { kind: 'END', text: fitUssd(text, BODY_MAX) };
}

function stripChoices(hop: Hop): UssdAnswer {
  return { kind: hop.kind, text: hop.text };
}

/** An `END` answer that fits, for the errors found before any tenant's texts are known. */
export function endAnswer(text: string): UssdAnswer {
  return end(text);
}
