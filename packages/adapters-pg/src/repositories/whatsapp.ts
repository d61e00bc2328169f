import {
  decodeCursor,
  encodeCursor,
  isUuid,
  type Page,
  type PageRequest,
  pageLimit,
  StateConflictError,
  UniqueViolationError,
  WHATSAPP_RECEIPT_FROM,
  type WhatsAppMessage,
  type WhatsAppRepository,
} from '@laas/core';
import { sql } from 'kysely';
import { isUniqueViolation, translateError } from '../errors.js';
import * as m from '../mapping.js';
import type { TxContext } from './context.js';

/** The unique keys of the WhatsApp tables, by constraint (index) name: entity and field. */
const UNIQUE_KEYS: Readonly<Record<string, readonly [entity: string, field: string]>> = {
  whatsapp_settings_phone_number_id_key: ['WhatsApp settings', 'phone_number_id'],
  whatsapp_settings_verify_token_key: ['WhatsApp settings', 'verify_token'],
  whatsapp_messages_pkey: ['WhatsApp message', 'id'],
  whatsapp_messages_wa_message_id_key: ['WhatsApp message', 'wa_message_id'],
};

/**
 * Runs one statement inside a savepoint, so that a unique violation leaves the transaction usable
 * (a failed statement would otherwise abort it), and names the field the violated key protects.
 */
async function guarded<T>(ctx: TxContext, fn: () => Promise<T>): Promise<T> {
  await sql`SAVEPOINT laas_whatsapp_sp`.execute(ctx.db);
  try {
    const result = await fn();
    await sql`RELEASE SAVEPOINT laas_whatsapp_sp`.execute(ctx.db);
    return result;
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT laas_whatsapp_sp`.execute(ctx.db);
    await sql`RELEASE SAVEPOINT laas_whatsapp_sp`.execute(ctx.db);
    const constraint = (error as { constraint?: unknown }).constraint;
    const key = typeof constraint === 'string' ? UNIQUE_KEYS[constraint] : undefined;
    if (isUniqueViolation(error) && key !== undefined) {
      const violation = new UniqueViolationError(key[0], key[1]);
      (violation as { cause?: unknown }).cause = error;
      throw violation;
    }
    throw translateError(error);
  }
}

function own(ctx: TxContext, tenantId: string, entity: string): void {
  if (tenantId !== ctx.tenantId) {
    throw new StateConflictError(`This ${entity} belongs to another tenant than the transaction\u2019s`, {
      entity,
      tenant_id: tenantId,
    });
  }
}

/** Newest-first keyset pagination by id, as the other lists page (`limit + 1` tells whether more follow). */
async function paginate(
  page: PageRequest,
  query: (after: string | undefined, limit: number) => Promise<m.WhatsAppMessageRow[]>,
): Promise<Page<WhatsAppMessage>> {
  const limit = pageLimit(page);
  const after = decodeCursor(page.cursor);
  const rows = await query(after, limit + 1);
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(m.toWhatsAppMessage);
  const last = more ? rows[limit - 1] : undefined;
  return { items, next_cursor: last === undefined ? null : encodeCursor(last.id) };
}

/**
 * The PostgreSQL {@link WhatsAppRepository}. Guards are native: a redelivered inbound message
 * meets the partial unique index (`ON CONFLICT DO NOTHING`), a receipt is one guarded
 * `UPDATE ... WHERE status IN (...)`, and `claimQueued` takes rows with `FOR UPDATE SKIP LOCKED`.
 */
export function whatsappRepository(ctx: TxContext): WhatsAppRepository {
  const messages = sql.table(`${ctx.schema}.whatsapp_messages`);
  return {
    async getSettings() {
      const row = await ctx.db
        .selectFrom('whatsapp_settings')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .executeTakeFirst();
      return row ? m.toWhatsAppSettings(row) : null;
    },
    async putSettings(settings) {
      own(ctx, settings.tenant_id, 'WhatsApp settings');
      const row = m.fromWhatsAppSettings(settings);
      const { tenant_id: _t, ...values } = row;
      await guarded(ctx, () =>
        ctx.db
          .insertInto('whatsapp_settings')
          .values(row)
          .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
          .execute(),
      );
    },
    async deleteSettings() {
      const result = await ctx.db
        .deleteFrom('whatsapp_settings')
        .where('tenant_id', '=', ctx.tenantId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async recordInbound(message) {
      own(ctx, message.tenant_id, 'WhatsApp message');
      // A concurrent insert of the same wa id waits for the first to commit, then does nothing.
      const result = await guarded(ctx, () =>
        ctx.db
          .insertInto('whatsapp_messages')
          .values(m.fromWhatsAppMessage(message))
          .onConflict((oc) =>
            oc.columns(['tenant_id', 'wa_message_id']).where('wa_message_id', 'is not', null).doNothing(),
          )
          .executeTakeFirst(),
      );
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    async insertOutbound(message) {
      own(ctx, message.tenant_id, 'WhatsApp message');
      await guarded(ctx, () =>
        ctx.db.insertInto('whatsapp_messages').values(m.fromWhatsAppMessage(message)).execute(),
      );
    },
    async updateOutbound(message) {
      own(ctx, message.tenant_id, 'WhatsApp message');
      if (!isUuid(message.id)) return;
      const row = m.fromWhatsAppMessage(message);
      // Everything but the message's identity (id, tenant, direction, phone, created_at).
      await guarded(ctx, () =>
        ctx.db
          .updateTable('whatsapp_messages')
          .set({
            wa_message_id: row.wa_message_id,
            kind: row.kind,
            body: row.body,
            status: row.status,
            error: row.error,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            locked_until: row.locked_until,
            updated_at: row.updated_at,
          })
          .where('tenant_id', '=', ctx.tenantId)
          .where('id', '=', message.id)
          .where('direction', '=', 'out')
          .execute(),
      );
    },
    async applyStatus(waMessageId, status, at, error) {
      const from = [...WHATSAPP_RECEIPT_FROM[status]];
      const updated = await ctx.db
        .updateTable('whatsapp_messages')
        .set(status === 'failed' ? { status, updated_at: m.ts(at), error } : { status, updated_at: m.ts(at) })
        .where('tenant_id', '=', ctx.tenantId)
        .where('wa_message_id', '=', waMessageId)
        .where('direction', '=', 'out')
        .where('status', 'in', from)
        .returningAll()
        .executeTakeFirst();
      if (updated) return m.toWhatsAppMessage(updated);
      const row = await ctx.db
        .selectFrom('whatsapp_messages')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('wa_message_id', '=', waMessageId)
        .where('direction', '=', 'out')
        .executeTakeFirst();
      return row ? m.toWhatsAppMessage(row) : null;
    },
    async claimQueued(now, limit, leaseMs) {
      // The inner SELECT locks what it picks and skips what another worker is picking; the UPDATE
      // sets the lease, so once committed the rows are invisible to the next claim until it ends.
      const until = new Date(Date.parse(now) + leaseMs).toISOString();
      // A materialized CTE picks the rows exactly once: as `id IN (subquery)` the planner may rescan
      // the subquery for the UPDATE and so return more than `limit` rows.
      const { rows } = await sql<m.WhatsAppMessageRow>`
        WITH picked AS MATERIALIZED (
          SELECT id FROM ${messages}
          WHERE tenant_id = ${ctx.tenantId}::uuid AND status = 'queued' AND direction = 'out'
            AND next_attempt_at <= ${now}::timestamptz
            AND (locked_until IS NULL OR locked_until < ${now}::timestamptz)
          ORDER BY id
          LIMIT ${Math.max(0, Math.trunc(limit))}
          FOR UPDATE SKIP LOCKED)
        UPDATE ${messages} AS m SET locked_until = ${until}::timestamptz
        FROM picked
        WHERE m.tenant_id = ${ctx.tenantId}::uuid AND m.id = picked.id
        RETURNING m.*`.execute(ctx.db);
      return rows.map(m.toWhatsAppMessage).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async listMessages(page) {
      const { phone } = page;
      return paginate(page, (after, limit) => {
        let q = ctx.db.selectFrom('whatsapp_messages').selectAll().where('tenant_id', '=', ctx.tenantId);
        if (phone !== undefined) q = q.where('phone', '=', phone);
        if (after !== undefined) q = q.where('id', '<', after);
        return q.orderBy('id', 'desc').limit(limit).execute();
      });
    },
    async getConversation(phone) {
      const row = await ctx.db
        .selectFrom('whatsapp_conversations')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('phone', '=', phone)
        .executeTakeFirst();
      return row ? m.toWhatsAppConversation(row) : null;
    },
    async putConversation(conversation) {
      own(ctx, conversation.tenant_id, 'WhatsApp conversation');
      const row = m.fromWhatsAppConversation(conversation);
      await ctx.db
        .insertInto('whatsapp_conversations')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'phone']).doUpdateSet({
            last_inbound_at: row.last_inbound_at,
            pending: row.pending,
            updated_at: row.updated_at,
          }),
        )
        .execute();
    },
    async forgetPhone(phone) {
      await ctx.db
        .deleteFrom('whatsapp_conversations')
        .where('tenant_id', '=', ctx.tenantId)
        .where('phone', '=', phone)
        .execute();
      const result = await ctx.db
        .deleteFrom('whatsapp_messages')
        .where('tenant_id', '=', ctx.tenantId)
        .where('phone', '=', phone)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
