// Text forms of the 16-byte types and of decimals: what a client may write and what it reads back.
// Parsers return undefined on a malformed input; the caller names the column and row.

const HEX = '0123456789abcdef';

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}

/** 32 hex digits (any case) -> 16 bytes in the order written. */
export function hexToBytes16(s: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{32}$/.test(s)) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' or 32 bare hex digits. */
export function parseUuid(s: string): Uint8Array | undefined {
  const m = /^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})$/.exec(s);
  return hexToBytes16(m === null ? s : m.slice(1).join(''));
}

export function formatUuid(b: Uint8Array): string {
  const h = bytesToHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Dotted IPv4 octets, or undefined. */
function parseIpv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : 256));
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/**
 * IPv4 'a.b.c.d' is stored as the IPv4-mapped IPv6 address ::ffff:a.b.c.d (RFC 4291); IPv6 in any RFC 4291
 * text form (with '::' and a trailing dotted quad). Bytes in network order.
 */
export function parseIpAddress(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  const v4 = parseIpv4(s);
  if (v4 !== undefined) {
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(v4, 12);
    return out;
  }
  if (!s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (text: string): number[] | undefined => {
    if (text === '') return [];
    const groups: number[] = [];
    const parts = text.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const q = parseIpv4(p);
        if (q === undefined) return undefined;
        groups.push((q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        groups.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  groups.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}

/** IPv4-mapped addresses as 'a.b.c.d', others in RFC 5952 form (lower case, longest zero run as '::'). */
export function formatIpAddress(b: Uint8Array): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1; // RFC 5952: a single zero group is not shortened
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

const TEN = 10n;

/**
 * A decimal string ('-12.5', '3', '.25') as the integer of `scale` fraction digits. Digits beyond the scale
 * must be zeros: a string is taken to be exact, so it is never rounded. Undefined when malformed or inexact.
 */
export function parseDecimalString(s: string, scale: number): bigint | undefined {
  const m = /^\s*([+-])?(\d*)(?:\.(\d*))?\s*$/.exec(s);
  if (m === null || (m[2] ?? '') + (m[3] ?? '') === '') return undefined;
  const fraction = m[3] ?? '';
  if (/[1-9]/.test(fraction.slice(scale))) return undefined;
  const digits = (m[2] ?? '') + fraction.slice(0, scale).padEnd(scale, '0');
  const unscaled = BigInt(digits === '' ? '0' : digits);
  return m[1] === '-' ? -unscaled : unscaled;
}

/** A number rounded half away from zero to `scale` digits, from its shortest decimal form (so 1.005 -> 1.01 at scale 2). */
export function decimalFromNumber(x: number, scale: number): bigint | undefined {
  if (!Number.isFinite(x)) return undefined;
  let text = String(Math.abs(x));
  if (text.includes('e')) text = Math.abs(x).toFixed(Math.min(100, scale + 21));
  const m = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (m === null) return undefined;
  const fraction = m[2] ?? '';
  let unscaled = BigInt((m[1] ?? '') + fraction.slice(0, scale).padEnd(scale, '0'));
  if ((fraction[scale] ?? '0') >= '5') unscaled += 1n;
  return x < 0 ? -unscaled : unscaled;
}

export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

export function pow10(n: number): bigint {
  return TEN ** BigInt(n);
}
