/**
 * The texts of the USSD menus, by key. A tenant overrides any of them in its settings
 * (`strings`); `{name}` placeholders are filled in when the text is used. docs/ussd.md lists them.
 */
export const USSD_STRINGS = {
  /** Title of the members' menu. */
  'menu.title': '{shop}',
  'menu.balance': 'Balance',
  'menu.rewards': 'My rewards',
  'menu.redeem': 'Redeem',
  /** First screen for a phone that is not a customer, when joining is allowed. */
  'join.welcome': 'Welcome to {shop}',
  'join.option': 'Join',
  /** Title of the members' menu right after joining. */
  'join.done': 'You are now a member of {shop}.',
  /** END for a phone that is not a customer, when joining is not allowed. */
  'join.closed': 'This number is not a member of {shop}. Ask in store to join.',
  /** END for a blocked customer. */
  'member.inactive': 'Your membership of {shop} is not active.',
  'balance.text': 'You have {points} points.',
  'rewards.title': 'Your rewards:',
  /** One reward in the list of `2`: `{reward}`, `{code}` (may be empty) and `{expires}`. */
  'rewards.item': '{reward} {code} {expires}',
  /** How an expiry reads in a list: `{date}` is YYYY-MM-DD in the tenant's time zone. */
  'rewards.expires': 'exp {date}',
  'rewards.none': 'You have no rewards yet.',
  'redeem.title': 'Choose a reward:',
  'redeem.none': 'You have no rewards to redeem.',
  'redeem.confirm': 'Redeem {reward}?',
  'redeem.yes': 'Yes',
  'redeem.no': 'No',
  /** END after redeeming; `{code}` is the reward's code when it has one. */
  'redeem.done': 'Redeemed: {reward}.',
  'redeem.code': 'Code: {code}',
  'redeem.cancelled': 'Cancelled. Nothing was redeemed.',
  'redeem.unavailable': 'This reward can no longer be redeemed.',
  'error.choice': 'Invalid choice. Please dial again.',
  'error.retry': 'Sorry, something went wrong. Please try again later.',
} as const satisfies Record<string, string>;

export type UssdStringKey = keyof typeof USSD_STRINGS;

export const USSD_STRING_KEYS = Object.keys(USSD_STRINGS) as UssdStringKey[];

/** A text by key: the tenant's override or the default, with `{name}` placeholders filled in. */
export type UssdText = (key: UssdStringKey, values?: Readonly<Record<string, string | number>>) => string;

/** The texts of one tenant. */
export function ussdTexts(overrides: Readonly<Record<string, string>>): UssdText {
  return (key, values = {}) => {
    const template = overrides[key] ?? USSD_STRINGS[key];
    return template
      .replace(/\{([a-z]+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole))
      .replace(/ {2,}/g, ' ')
      .trim();
  };
}
