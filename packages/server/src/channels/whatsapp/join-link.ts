/**
 * The link a merchant shows at the counter: `https://wa.me/<number>?text=JOIN%20<code>` opens
 * WhatsApp with the JOIN message typed in; the QR code of that link (PNG to print, SVG to scale).
 */
import type { WhatsAppSettings } from '@laas/core';
import QRCode from 'qrcode';

export interface JoinLink {
  /** `https://wa.me/15550001111?text=JOIN%20COFFEE` */
  url: string;
  /** The message the customer sends: `JOIN COFFEE`. */
  text: string;
  /** The business number, international digits. */
  phone: string;
}

export function joinLink(
  settings: Pick<WhatsAppSettings, 'display_phone_number' | 'enrollment_code'>,
): JoinLink {
  const text = `JOIN ${settings.enrollment_code}`;
  const phone = settings.display_phone_number.replace(/\D/g, '');
  return { url: `https://wa.me/${phone}?text=${encodeURIComponent(text)}`, text, phone };
}

/** Quiet zone and error correction chosen for print: survives a smudge, scans from a counter. */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

/** A PNG of the link's QR code, `size` pixels wide (default 512). */
export function joinQrPng(url: string, size = 512): Promise<Buffer> {
  return QRCode.toBuffer(url, { ...QR_OPTIONS, type: 'png', width: size });
}

/** An SVG of the link's QR code. */
export function joinQrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { ...QR_OPTIONS, type: 'svg' });
}
