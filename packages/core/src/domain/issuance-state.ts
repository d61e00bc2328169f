import { StateConflictError } from '../errors.js';

/**
 * The issuance state machine of DESIGN.md, as data the compiler checks:
 *
 * ```
 * reserved ──issue──▶ issued ──redeem──▶ redeemed
 *    │cancel            │cancel  │expire
 *    ▼                  ▼        ▼
 * cancelled         cancelled  expired
 * ```
 * `redeemed`, `expired` and `cancelled` are final. A reservation past its deadline is cancelled.
 */
export const ISSUANCE_TRANSITIONS = {
  reserved: { issue: 'issued', cancel: 'cancelled' },
  issued: { redeem: 'redeemed', cancel: 'cancelled', expire: 'expired' },
  redeemed: {},
  expired: {},
  cancelled: {},
} as const satisfies Record<string, Partial<Record<IssuanceAction, string>>>;

export type IssuanceAction = 'issue' | 'redeem' | 'cancel' | 'expire';
export type IssuanceState = keyof typeof ISSUANCE_TRANSITIONS;
type Table = typeof ISSUANCE_TRANSITIONS;

/** The states in which `action` is allowed: `StatesAllowing<'redeem'>` is `'issued'`. */
export type StatesAllowing<A extends IssuanceAction> = {
  [S in IssuanceState]: A extends keyof Table[S] ? S : never;
}[IssuanceState];

/** The state `action` leads to from `S`; only defined for the transitions that exist. */
export type NextState<S extends IssuanceState, A extends keyof Table[S]> = Table[S][A];

export const ISSUANCE_STATES = Object.keys(ISSUANCE_TRANSITIONS) as IssuanceState[];
export const FINAL_STATES: readonly IssuanceState[] = ['redeemed', 'expired', 'cancelled'];

/** A transition known to exist at compile time: `transition('issued', 'redeem')` is `'redeemed'`. */
export function transition<S extends IssuanceState, A extends keyof Table[S] & IssuanceAction>(
  state: S,
  action: A,
): NextState<S, A> {
  return ISSUANCE_TRANSITIONS[state][action];
}

const ACTION_WORDS: Record<IssuanceAction, string> = {
  issue: 'issued',
  redeem: 'redeemed',
  cancel: 'cancelled',
  expire: 'expired',
};

/**
 * The state `action` leads to from a state known only at run time, or a `StateConflictError`
 * naming the current state when the state machine has no such transition.
 */
export function nextState(state: IssuanceState, action: IssuanceAction, issuanceId?: string): IssuanceState {
  const next = (ISSUANCE_TRANSITIONS[state] as Partial<Record<IssuanceAction, IssuanceState>>)[action];
  if (next === undefined) {
    throw new StateConflictError(
      `This reward is ${state} and cannot be ${ACTION_WORDS[action]}` +
        (state === 'reserved' && action === 'redeem' ? '; issue it first' : ''),
      { state, action, ...(issuanceId === undefined ? {} : { issuance_id: issuanceId }) },
    );
  }
  return next;
}

/** The budget counters of an issuance's period. */
export type BudgetCounter = 'reserved' | 'utilized' | 'spent';

/**
 * How each transition moves an issuance's cost between its budget period's counters, and the
 * ledger kind it writes (DESIGN.md's table). Creation is `reserve`: null → reserved.
 */
export const BUDGET_MOVES = {
  issue: { from: 'reserved', to: 'utilized', kind: 'charge' },
  redeem: { from: 'utilized', to: 'spent', kind: 'spend' },
  cancel_reserved: { from: 'reserved', to: null, kind: 'release' },
  cancel_issued: { from: 'utilized', to: null, kind: 'release' },
  expire: { from: 'utilized', to: null, kind: 'release' },
} as const satisfies Record<string, { from: BudgetCounter; to: BudgetCounter | null; kind: string }>;

/** The counter an issuance's cost sits in while it is in `state` (null once released). */
export function counterOf(state: IssuanceState): BudgetCounter | null {
  return state === 'reserved'
    ? 'reserved'
    : state === 'issued'
      ? 'utilized'
      : state === 'redeemed'
        ? 'spent'
        : null;
}
