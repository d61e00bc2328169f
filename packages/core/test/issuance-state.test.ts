import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ISSUANCE_STATES,
  type IssuanceAction,
  nextState,
  StateConflictError,
  type StatesAllowing,
  transition,
} from '../src/index.js';

describe('issuance state machine', () => {
  it('has exactly the transitions of DESIGN.md', () => {
    const actions: IssuanceAction[] = ['issue', 'redeem', 'cancel', 'expire'];
    const table = Object.fromEntries(
      ISSUANCE_STATES.map((state) => [
        state,
        Object.fromEntries(
          actions.flatMap((action) => {
            try {
              return [[action, nextState(state, action)]];
            } catch (error) {
              expect(error).toBeInstanceOf(StateConflictError);
              expect((error as StateConflictError).details).toMatchObject({ state, action });
              return [];
            }
          }),
        ),
      ]),
    );
    expect(table).toEqual({
      reserved: { issue: 'issued', cancel: 'cancelled' },
      issued: { redeem: 'redeemed', cancel: 'cancelled', expire: 'expired' },
      redeemed: {},
      expired: {},
      cancelled: {},
    });
  });

  it('refuses a missing transition with STATE_CONFLICT naming the current state', () => {
    expect(() => nextState('redeemed', 'redeem', 'iss-1')).toThrowError(/redeemed and cannot be redeemed/);
    try {
      nextState('redeemed', 'redeem');
    } catch (error) {
      expect((error as StateConflictError).code).toBe('STATE_CONFLICT');
      expect((error as StateConflictError).httpStatus).toBe(409);
    }
  });

  it('is a type: only existing transitions compile', () => {
    expectTypeOf(transition('issued', 'redeem')).toEqualTypeOf<'redeemed'>();
    expectTypeOf(transition('reserved', 'issue')).toEqualTypeOf<'issued'>();
    expectTypeOf<StatesAllowing<'redeem'>>().toEqualTypeOf<'issued'>();
    expectTypeOf<StatesAllowing<'cancel'>>().toEqualTypeOf<'reserved' | 'issued'>();
    // @ts-expect-error a redeemed reward has no transitions
    transition('redeemed', 'redeem');
    // @ts-expect-error a reservation cannot expire (it is cancelled when its deadline passes)
    transition('reserved', 'expire');
  });
});
