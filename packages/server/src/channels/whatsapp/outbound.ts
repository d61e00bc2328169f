/**
 * The JSON bodies the Graph API takes (PROTOCOLS.md, "Sending"), built within its limits: a text
 * body of at most 4,096 characters, at most 3 reply buttons with titles of at most 20 characters.
 */

export const MAX_TEXT = 4096;
/** An interactive message's body text is limited to 1,024 characters. */
export const MAX_INTERACTIVE_BODY = 1024;
export const MAX_BUTTONS = 3;
export const MAX_BUTTON_TITLE = 20;

/** What is POSTed to `/{phone-number-id}/messages`. */
export type OutboundPayload = TextPayload | ButtonsPayload | TemplatePayload;

interface Base {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  /** Digits, no `+`. */
  to: string;
}

export interface TextPayload extends Base {
  type: 'text';
  text: { preview_url: false; body: string };
}

export interface ReplyButton {
  id: string;
  title: string;
}

export interface ButtonsPayload extends Base {
  type: 'interactive';
  interactive: {
    type: 'button';
    body: { text: string };
    action: { buttons: Array<{ type: 'reply'; reply: ReplyButton }> };
  };
}

export interface TemplatePayload extends Base {
  type: 'template';
  template: {
    name: string;
    language: { code: string };
    components?: Array<{ type: 'body'; parameters: Array<{ type: 'text'; text: string }> }>;
  };
}

/** Cuts `text` to `max` characters (code points), marking the cut with an ellipsis. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const base = (to: string): Base => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to });

export function textPayload(to: string, body: string): TextPayload {
  return { ...base(to), type: 'text', text: { preview_url: false, body: clip(body, MAX_TEXT) } };
}

/**
 * Reply buttons under a text. More than 3 buttons keeps the first 3; a body too long for an
 * interactive message is sent as plain text instead (the buttons are a convenience: every one
 * of them has a typed equivalent).
 */
export function buttonsPayload(to: string, body: string, buttons: readonly ReplyButton[]): OutboundPayload {
  if (buttons.length === 0 || Array.from(body).length > MAX_INTERACTIVE_BODY) return textPayload(to, body);
  return {
    ...base(to),
    type: 'interactive',
    interactive: {
      type: 'button',
      body: { text: body },
      action: {
        buttons: buttons.slice(0, MAX_BUTTONS).map((b) => ({
          type: 'reply' as const,
          reply: { id: b.id, title: clip(b.title, MAX_BUTTON_TITLE) },
        })),
      },
    },
  };
}

/** An approved template, its body parameters filled in order (`{{1}}`, `{{2}}`, ...). */
export function templatePayload(
  to: string,
  name: string,
  language: string,
  bodyParameters: readonly string[],
): TemplatePayload {
  return {
    ...base(to),
    type: 'template',
    template: {
      name,
      language: { code: language },
      ...(bodyParameters.length === 0
        ? {}
        : {
            components: [
              {
                type: 'body' as const,
                parameters: bodyParameters.map((text) => ({ type: 'text' as const, text: clip(text, 1024) })),
              },
            ],
          }),
    },
  };
}
