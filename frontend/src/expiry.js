// How long the server keeps an unfinished upload, in words a producer reads at a glance.
// The server sends Upload-Expires (an HTTP date) on tus responses and expires_at (ISO 8601) in
// GET /api/uploads/<id>; the page shows the retention once and, on each paused, failed or restored
// unfinished item, the moment its partial upload will be removed. Pure functions: tested in node.

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const pad = (n) => String(n).padStart(2, '0');

/** "24 hours", "2 days", "90 minutes": a whole-number duration from seconds ('' when unknown). */
export function durationWords(seconds) {
  const s = Math.round(Number(seconds));
  if (!Number.isFinite(s) || s <= 0) return '';
  if (s % 86400 === 0 && s >= 2 * 86400) return plural(s / 86400, 'day');
  if (s % 3600 === 0) return plural(s / 3600, 'hour');
  if (s >= 60) return plural(Math.round(s / 60), 'minute');
  return plural(s, 'second');
}

/** The line under the Files heading: "Unfinished uploads are kept for 24 hours, then removed." */
export function retentionNote(seconds) {
  const words = durationWords(seconds);
  return words ? `Unfinished uploads are kept for ${words}, then removed.` : '';
}

/** A Date from an Upload-Expires header (RFC 7231) or an ISO 8601 expires_at; null when unusable. */
export function parseExpiry(value) {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time);
}

// Whole calendar days from `now` to `then`, in the browser's time zone.
function calendarDays(now, then) {
  const day = (d) => Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  return Math.round((day(then) - day(now)) / 86400000);
}

/**
 * "Kept until 14:05 today", "Kept until 14:05 tomorrow", "Kept until 14:05 on Thu 3 Dec"
 * (with the year when it is not this year), in local time; past expiries say the upload is gone.
 */
export function keptUntil(expires, now = new Date()) {
  const when = expires instanceof Date ? expires : parseExpiry(expires);
  if (!when) return '';
  if (when <= now) return 'No longer kept: add the file again to upload it from the start.';
  const time = `${pad(when.getHours())}:${pad(when.getMinutes())}`;
  const days = calendarDays(now, when);
  if (days === 0) return `Kept until ${time} today`;
  if (days === 1) return `Kept until ${time} tomorrow`;
  const year = when.getFullYear() === now.getFullYear() ? '' : ` ${when.getFullYear()}`;
  return `Kept until ${time} on ${WEEKDAYS[when.getDay()]} ${when.getDate()} ${MONTHS[when.getMonth()]}${year}`;
}

/** The earliest of several expiries (an item of many frames is gone once its first frame is). */
export function earliest(values) {
  const dates = values.map((v) => (v instanceof Date ? v : parseExpiry(v))).filter(Boolean);
  return dates.length ? new Date(Math.min(...dates.map((d) => d.getTime()))) : null;
}
