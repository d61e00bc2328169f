/**
 * What a customer's message asks for. Case-insensitive and tolerant of extra spaces and
 * punctuation ("join: coffee!", " Redeem #2 ", "yes."), and of the ids of the bot's own buttons.
 */
export type Command =
  | { kind: 'join'; code: string }
  | { kind: 'balance' }
  | { kind: 'rewards' }
  /** `n` null: REDEEM without a number. */
  | { kind: 'redeem'; n: number | null }
  | { kind: 'yes' }
  | { kind: 'no' }
  | { kind: 'help' }
  | { kind: 'unknown' };

/** Ids of the reply buttons the bot sends; a tap comes back as the id. */
export const BUTTON_IDS = Object.freeze({
  yes: 'laas_yes',
  no: 'laas_no',
  balance: 'laas_balance',
  rewards: 'laas_rewards',
  help: 'laas_help',
});

const WORDS: Record<string, Command['kind']> = {
  BALANCE: 'balance',
  BAL: 'balance',
  POINTS: 'balance',
  REWARDS: 'rewards',
  REWARD: 'rewards',
  'MY REWARDS': 'rewards',
  VOUCHERS: 'rewards',
  YES: 'yes',
  Y: 'yes',
  OK: 'yes',
  CONFIRM: 'yes',
  NO: 'no',
  N: 'no',
  CANCEL: 'no',
  HELP: 'help',
  MENU: 'help',
  HI: 'help',
  HELLO: 'help',
  START: 'help',
};

/** A code as compared: upper case, letters and digits only ("cof-fee " equals "COFFEE"). */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/** Parses a message text (or a button id). */
export function parseCommand(input: string): Command {
  const button = Object.entries(BUTTON_IDS).find(([, id]) => id === input.trim());
  if (button !== undefined) return { kind: button[0] } as Command;
  // Upper case; every run of punctuation or spaces becomes one space; trimmed.
  const text = input
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  if (text === '') return { kind: 'unknown' };
  const join = /^JOIN(?: (.+))?$/.exec(text);
  if (join !== null) return { kind: 'join', code: normaliseCode(join[1] ?? '') };
  const redeem = /^(?:REDEEM|USE)(?: (\d{1,3}))?$/.exec(text);
  if (redeem !== null) return { kind: 'redeem', n: redeem[1] === undefined ? null : Number(redeem[1]) };
  const word = WORDS[text];
  return word === undefined ? { kind: 'unknown' } : ({ kind: word } as Command);
}
