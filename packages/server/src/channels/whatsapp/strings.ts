/**
 * Every text the bot sends, by key, in English. A tenant overrides any of them in its settings
 * (`strings: { "<key>": "..." }`), e.g. to translate. `{placeholders}` are filled in; an unknown
 * placeholder is left as written. The keys are documented in docs/whatsapp.md.
 */
export const DEFAULT_STRINGS = Object.freeze({
  not_member:
    'Hi! This is {shop} rewards. To join, send JOIN and the shop code (for example JOIN ABC123); ask at the counter for the code.',
  join_wrong_code:
    'Sorry, "{code}" is not the code of {shop}. Check the code at the counter and send JOIN followed by it.',
  joined:
    'Welcome to {shop} rewards{name_part}! You are in. Send BALANCE for your points, REWARDS for your rewards, HELP for help.',
  already_member: 'You are already a member of {shop} rewards. Send BALANCE, REWARDS or HELP.',
  blocked: 'Your {shop} rewards account is on hold. Please ask at the counter.',
  balance: 'You have {points} points at {shop}.',
  balance_rewards: 'You have {count} reward(s) ready to use: send REWARDS to see them.',
  rewards_none: 'You have no rewards to use right now. Keep visiting {shop}!',
  rewards_header: 'Your rewards at {shop}:',
  rewards_item: '{n}. {reward}{code_part}{expiry_part}',
  code_part: ' (code {code})',
  expiry_part: ', valid until {date}',
  rewards_footer: 'To use one, send REDEEM and its number, for example REDEEM 1.',
  redeem_which:
    'Which reward? Send REDEEM and its number, for example REDEEM 1 (send REWARDS to see the numbers).',
  redeem_unknown: 'You have no reward number {n}. Send REWARDS to see your rewards.',
  redeem_confirm: 'Use {reward}{code_part} now? It can be used only once: confirm at the counter.',
  redeemed: 'Done: {reward}{code_part} is used. Show this message at the counter.',
  redeem_cancelled: 'OK, {reward} was not used; it stays in your rewards.',
  redeem_failed: 'Sorry, {reward} could not be used: {reason}',
  nothing_to_confirm: 'There is nothing to confirm. Send REWARDS to see your rewards.',
  help: '{shop} rewards on WhatsApp:\nBALANCE: your points\nREWARDS: your rewards\nREDEEM 1: use reward number 1\nHELP: this message',
  unknown: 'Sorry, I did not understand that.',
  error: 'Sorry, something went wrong on our side. Please try again in a moment.',
  notify_reward:
    'You earned {reward}{code_part} at {shop}!{expiry_sentence} Send REWARDS to see your rewards.',
  expiry_sentence: ' Valid until {date}.',
  notify_points: 'You earned {points} points at {shop}! Send BALANCE to see your balance.',
  notify_points_expiring: '{points} of your points at {shop} expire on {date}. Use them before then!',
  notify_reward_expiring:
    'Reminder: {reward}{code_part} at {shop} expires soon.{expiry_sentence} Send REWARDS to see your rewards.',
  receipt: 'Receipt: {reward}{code_part} was used at {shop} on {date}. Thank you!',
  button_yes: 'Yes, use it',
  button_no: 'No',
  button_balance: 'Balance',
  button_rewards: 'My rewards',
  button_help: 'Help',
});

export type StringKey = keyof typeof DEFAULT_STRINGS;
export const STRING_KEYS = Object.freeze(Object.keys(DEFAULT_STRINGS) as StringKey[]);

/** Fills `{name}` placeholders; values are inserted as given. */
export function fill(template: string, vars: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) =>
    Object.hasOwn(vars, name) ? String(vars[name]) : whole,
  );
}

/** The tenant's texts: its overrides over the defaults. */
export function textsOf(overrides: Readonly<Record<string, string>>) {
  return (key: StringKey, vars: Readonly<Record<string, string | number>> = {}): string => {
    const template = Object.hasOwn(overrides, key) ? (overrides[key] as string) : DEFAULT_STRINGS[key];
    return fill(template, vars);
  };
}

export type Texts = ReturnType<typeof textsOf>;
