// Dates and times as people write them, for the temporal column types (docs/types.md): ISO 8601
// without a zone ('2024-05-01', '2024-05-01T09:30:00.250', '09:30:00.123456789'), the form `shoal tail`
// prints and `shoal append` reads back. DolphinDB's dotted dates ('2024.05.01') are read too. Temporal
// types have no time zone; a trailing 'Z' is accepted and nothing else. Pure.

const MS_PER_DAY = 86_400_000;
const NS_PER_MS = 1_000_000n;
const NS_PER_DAY = 86_400_000_000_000n;
/** Date's range: +-100,000,000 days around 1970 (ECMA-262 21.4.1.1). */
const MAX_DATE_DAYS = 100_000_000;

/** Days since 1970-01-01 of a civil date; undefined when it does not exist (2023-02-29). */
function daysOfCivil(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // setUTCFullYear, not Date.UTC: years 0..99 stay themselves
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return Math.round(d.getTime() / MS_PER_DAY);
}

const DATE_PART = String.raw`(-?\d{4,6})[-.](\d{1,2})[-.](\d{1,2})`;
const TIME_PART = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?`;
const DATE_TIME = new RegExp(`^${DATE_PART}(?:[T ]${TIME_PART})?Z?$`);
const TIME_ONLY = new RegExp(`^${TIME_PART}$`);
const MONTH_ONLY = /^(-?\d{4,6})[-.](\d{1,2})M?$/;

/** Nanoseconds since midnight of hh:mm[:ss[.fraction]] (captures 1..4 of TIME_PART); undefined when out of range. */
function nsOfTime(h: string, m: string, s: string | undefined, fraction: string | undefined): bigint | undefined {
  const hours = Number(h);
  const minutes = Number(m);
  const seconds = s === undefined ? 0 : Number(s);
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const ns = BigInt((fraction ?? '').padEnd(9, '0'));
  return BigInt((hours * 60 + minutes) * 60 + seconds) * 1_000_000_000n + ns;
}

/** Nanoseconds since 1970-01-01T00:00 (UTC) of a date or date-time text; undefined when it is neither. */
export function parseDateTimeNs(text: string): bigint | undefined {
  const m = DATE_TIME.exec(text);
  if (m === null) return undefined;
  const days = daysOfCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  if (days === undefined) return undefined;
  const ns = m[4] === undefined ? 0n : nsOfTime(m[4], m[5]!, m[6], m[7]);
  if (ns === undefined) return undefined;
  return BigInt(days) * NS_PER_DAY + ns;
}

/** Nanoseconds since midnight of a time-of-day text; undefined when it is not one. */
export function parseTimeOfDayNs(text: string): bigint | undefined {
  const m = TIME_ONLY.exec(text);
  return m === null ? undefined : nsOfTime(m[1]!, m[2]!, m[3], m[4]);
}

/** Months since 0000-01 (MONTH's stored value) of '2024-05'; undefined when it is not one. */
export function parseMonth(text: string): number | undefined {
  const m = MONTH_ONLY.exec(text);
  if (m === null) return undefined;
  const month = Number(m[2]);
  if (month < 1 || month > 12) return undefined;
  return Number(m[1]) * 12 + month - 1;
}

// ---- printing -----------------------------------------------------------------------------------

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

function yearText(year: number): string {
  return year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
}

/** 'YYYY-MM-DD' of a day count; undefined beyond what Date can hold. */
export function formatDate(days: number): string | undefined {
  if (!Number.isInteger(days) || Math.abs(days) > MAX_DATE_DAYS) return undefined;
  const d = new Date(days * MS_PER_DAY);
  return `${yearText(d.getUTCFullYear())}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

export function formatMonth(months: number): string {
  const year = Math.floor(months / 12);
  return `${yearText(year)}-${pad(months - year * 12 + 1, 2)}`;
}

/** 'HH:MM:SS' plus `fractionDigits` (0, 3 or 9) of a time of day in ns. */
export function formatTimeOfDay(ns: bigint, fractionDigits: 0 | 3 | 9): string {
  const totalSeconds = ns / 1_000_000_000n;
  const fraction = ns % 1_000_000_000n;
  const h = totalSeconds / 3600n;
  const m = (totalSeconds / 60n) % 60n;
  const s = totalSeconds % 60n;
  const base = `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
  return fractionDigits === 0 ? base : `${base}.${pad(fraction, 9).slice(0, fractionDigits)}`;
}

/** 'YYYY-MM-DDTHH:MM:SS[.fraction]' of ns since 1970; undefined beyond what Date can hold. */
export function formatDateTimeNs(ns: bigint, fractionDigits: 0 | 3 | 9): string | undefined {
  let days = ns / NS_PER_DAY;
  let ofDay = ns % NS_PER_DAY;
  if (ofDay < 0n) {
    ofDay += NS_PER_DAY;
    days -= 1n;
  }
  const date = formatDate(Number(days));
  return date === undefined ? undefined : `${date}T${formatTimeOfDay(ofDay, fractionDigits)}`;
}

export { NS_PER_MS };
