/**
 * GSM 03.38 (the 7-bit default alphabet USSD menus are shown in) and `fitUssd`, which makes any
 * text safe to send: transliterated to that alphabet and cut to the size of one USSD message.
 */

/** The basic character set: one septet each (ESC and CR are left out: menus break lines with LF only). */
const BASIC =
  '@£$¥èéùìòÇ\nØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** The extension table: two septets each (ESC + the character). Form feed is left out. */
const EXTENSION = '^{}\\[~]|€';

const BASIC_SET: ReadonlySet<string> = new Set(BASIC);
const EXTENSION_SET: ReadonlySet<string> = new Set(EXTENSION);

/** Characters outside GSM-7 that have an obvious GSM-7 spelling. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u201b': "'",
  '\u2032': "'",
  '`': "'",
  '´': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u2033': '"',
  '«': '"',
  '»': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2212': '-',
  '\u2026': '...',
  '\u2022': '*',
  '·': '.',
  '\u00a0': ' ',
  '\u2007': ' ',
  '\u2009': ' ',
  '\u202f': ' ',
  '\t': ' ',
  '\r': '',
  '×': 'x',
  '÷': '/',
  '©': '(c)',
  '®': '(R)',
  '™': 'TM',
  '¢': 'c',
  '°': 'o',
  œ: 'oe',
  Œ: 'OE',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  þ: 'th',
  Þ: 'TH',
  ı: 'i',
};

/** The septets a GSM-7 character takes (2 for the extension table); undefined for any other. */
function septets(char: string): number | undefined {
  if (BASIC_SET.has(char)) return 1;
  if (EXTENSION_SET.has(char)) return 2;
  return undefined;
}

/** Whether every character of `text` is in the GSM-7 alphabet (basic set or extension table). */
export function isGsm7(text: string): boolean {
  for (const char of text) if (septets(char) === undefined) return false;
  return true;
}

/** The length of GSM-7 `text` in septets (extension characters count 2). */
export function gsm7Length(text: string): number {
  let n = 0;
  for (const char of text) n += septets(char) ?? 1;
  return n;
}

/**
 * `text` in GSM-7: characters of the alphabet are kept (`é`, `ñ`, `€` included), a few others are
 * spelled out (curly quotes, dashes, `…`), letters with other accents lose them (`ō` → `o`), and
 * anything left (emoji, other scripts) is dropped. Spaces are not doubled by the drops.
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const char of text) {
    if (septets(char) !== undefined) {
      out += char;
      continue;
    }
    const mapped = TRANSLITERATIONS[char];
    if (mapped !== undefined) {
      out += mapped;
      continue;
    }
    // Decompose and keep the base letter when it is GSM-7 (`ō` → `o`, `ç` → `c`).
    const base = char.normalize('NFD').replace(/\p{M}+/gu, '');
    if (base !== '' && isGsm7(base)) out += base;
  }
  return out.replace(/ {2,}/g, ' ');
}

/**
 * One USSD message: `text` transliterated to GSM-7 ({@link toGsm7}) and, when longer than `max`
 * septets, cut with `...`: at the end of the last whole line that fits when at least one does (a
 * menu loses its last options, never half an option), otherwise inside the first line.
 *
 * @example
 * fitUssd('Your rewards:\n1 Free coffee\n2 Free muffin', 30) // 'Your rewards:\n1 Free coffee\n...'
 */
export function fitUssd(text: string, max = 182): string {
  const gsm = toGsm7(text).trim();
  if (gsm7Length(gsm) <= max) return gsm;
  const ellipsis = '...';
  const lines = gsm.split('\n');
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    // The line, its newline, and room for the "\n..." that follows the kept lines.
    const cost = (kept.length === 0 ? 0 : 1) + gsm7Length(line);
    if (used + cost + 1 + ellipsis.length > max) break;
    kept.push(line);
    used += cost;
  }
  if (kept.length > 0) return `${kept.join('\n')}\n${ellipsis}`;
  let cut = '';
  let length = 0;
  for (const char of gsm) {
    const n = septets(char) ?? 1;
    if (length + n + ellipsis.length > max) break;
    cut += char;
    length += n;
  }
  return `${cut.trimEnd()}${ellipsis}`;
}
