/** Meta's notification envelope, exactly as PROTOCOLS.md shows it, for the WhatsApp tests. */

/** One `messages` change for the business number `phoneNumberId`, wrapped as Meta sends it. */
export function notification(phoneNumberId: string, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '<WABA_ID>',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}
