// The "items to publish" list beside the Dashboard: Uppy shows files, this shows what becomes an
// ftrack version — one row per movie/still, one per image sequence — with its own progress, asset
// name input and the server's per-item errors.

import { el } from './api.js';
import { earliest, keptUntil } from './expiry.js';
import { groupFiles } from './sequences.js';

// The tus upload id is the last path segment of the upload URL (/api/uploads/<uuid>).
export function uploadIdFrom(url) {
  if (!url) return null;
  const path = new URL(url, window.location.href).pathname.replace(/\/+$/, '');
  return path.slice(path.lastIndexOf('/') + 1) || null;
}

export function uploadIdOf(file) {
  if (!file.progress?.uploadComplete) return null;
  return uploadIdFrom(file.uploadURL || file.response?.uploadURL || file.tus?.uploadUrl);
}

const KIND_LABEL = { movie: 'Movie', image: 'Still image', sequence: 'Image sequence' };

export class ItemList {
  /**
   * `isIdle(file)`: the file is not being sent right now (paused, failed, restored). Its item then
   * says until when the server keeps what was sent so far (the file's `uploadExpires`).
   */
  constructor(list, emptyNote, { isIdle = () => false } = {}) {
    this.list = list;
    this.emptyNote = emptyNote;
    this.isIdle = isIdle;
    this.items = [];
    this.signature = '';
    this.assetNames = new Map(); // item key -> what the producer typed
    this.rows = new Map(); // item key -> {row, progress, percent, input, error}
  }

  /** Recomputes the items from Uppy's files; rebuilds rows only when the grouping changed. */
  update(files) {
    const items = groupFiles(
      files.map((f) => ({ id: f.id, name: f.name, relativePath: f.meta?.relativePath || null })),
    );
    const signature = items.map((i) => `${i.key}|${i.fileIds.join(',')}`).join('\n');
    if (signature !== this.signature) {
      this.signature = signature;
      this.items = items;
      this.#rebuild();
    }
    const byId = new Map(files.map((f) => [f.id, f]));
    for (const item of this.items) this.#updateProgress(item, item.fileIds.map((id) => byId.get(id)).filter(Boolean));
  }

  #rebuild() {
    this.rows.clear();
    this.list.replaceChildren();
    this.emptyNote.hidden = this.items.length > 0;
    this.items.forEach((item, index) => {
      const inputId = `asset-name-${index}`;
      const progressId = `item-progress-${index}`;
      const title = item.label; // with its folder when dropped as one
      const input = el('input', {
        id: inputId,
        type: 'text',
        name: 'asset_name',
        required: true,
        autocomplete: 'off',
        value: this.assetNames.get(item.key) ?? item.assetName,
        'aria-describedby': `item-error-${index}`,
      });
      input.addEventListener('input', () => this.assetNames.set(item.key, input.value));
      const progress = el('progress', { id: progressId, max: '100', value: '0' });
      const percent = el('span', { class: 'rp-item-percent' }, '0 %');
      const error = el('p', { id: `item-error-${index}`, class: 'rp-item-error', role: 'alert', hidden: true });
      const expiry = el('p', { class: 'rp-item-expiry', hidden: true });
      const row = el(
        'li',
        { class: `rp-item rp-item--${item.kind}`, dataset: { itemKey: item.key, kind: item.kind } },
        el(
          'div',
          { class: 'rp-item-head' },
          el('span', { class: 'rp-item-kind' }, KIND_LABEL[item.kind]),
          el('span', { class: 'rp-item-title' }, title),
        ),
        item.missing.length
          ? el('p', { class: 'rp-item-gap' }, `${item.missing.length} frame${item.missing.length === 1 ? '' : 's'} missing: check before publishing.`)
          : null,
        el(
          'div',
          { class: 'rp-item-progress' },
          el('label', { for: progressId, class: 'rp-visually-hidden' }, `Upload progress of ${item.display}`),
          progress,
          percent,
        ),
        expiry,
        el('div', { class: 'rp-item-field' }, el('label', { for: inputId }, 'Asset name'), input),
        error,
      );
      this.rows.set(item.key, { row, progress, percent, input, error, expiry });
      this.list.append(row);
    });
  }

  #updateProgress(item, files) {
    const parts = this.rows.get(item.key);
    if (!parts) return;
    let total = 0;
    let done = 0;
    let complete = files.length > 0;
    let failed = false;
    for (const file of files) {
      const size = file.size || file.progress?.bytesTotal || 0;
      total += size;
      done += file.progress?.uploadComplete ? size : file.progress?.bytesUploaded || 0;
      complete = complete && Boolean(uploadIdOf(file));
      failed = failed || Boolean(file.error);
    }
    // 100 % only once the server confirmed every file, never from a rounded byte count.
    const pct = complete ? 100 : Math.min(99, Math.floor(total ? (done / total) * 100 : 0));
    parts.progress.value = pct;
    parts.percent.textContent = failed ? 'failed' : `${pct} %`;
    parts.row.classList.toggle('is-complete', complete);
    parts.row.classList.toggle('is-failed', failed);
    // Unfinished and idle: say how long the part already sent is kept (earliest file of the item).
    const waiting = complete ? [] : files.filter((f) => !uploadIdOf(f) && f.uploadExpires && this.isIdle(f));
    const text = waiting.length ? keptUntil(earliest(waiting.map((f) => f.uploadExpires))) : '';
    if (parts.expiry.textContent !== text) parts.expiry.textContent = text;
    parts.expiry.hidden = !text;
  }

  allUploaded(files) {
    return files.length > 0 && files.every((f) => uploadIdOf(f));
  }

  /** The submit payload's items, upload ids in frame order for sequences. */
  payload(files) {
    const byId = new Map(files.map((f) => [f.id, f]));
    return this.items.map((item) => {
      const entry = {
        kind: item.kind,
        asset_name: (this.rows.get(item.key)?.input.value ?? item.assetName).trim(),
        upload_ids: item.fileIds.map((id) => uploadIdOf(byId.get(id))),
      };
      if (item.kind === 'sequence') {
        entry.frames = item.frames;
        entry.pattern = item.pattern;
      }
      return entry;
    });
  }

  showErrors(itemErrors) {
    for (const parts of this.rows.values()) {
      parts.error.textContent = '';
      parts.error.hidden = true;
      parts.input.removeAttribute('aria-invalid');
    }
    (itemErrors || []).forEach((entry, position) => {
      if (!entry || (typeof entry === 'object' && !Object.keys(entry).length)) return;
      const index = Number.isInteger(entry.index) ? entry.index : position;
      const item = this.items[index];
      const parts = item && this.rows.get(item.key);
      if (!parts) return;
      parts.error.textContent = flattenMessages(entry).join(' ');
      parts.error.hidden = false;
      if (entry.asset_name) parts.input.setAttribute('aria-invalid', 'true');
    });
  }
}

// Server errors arrive as strings, lists of strings or {field: [messages]}; show them as sentences.
export function flattenMessages(value) {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(flattenMessages);
  if (typeof value === 'object') {
    if (typeof value.message === 'string') return [value.message];
    return Object.entries(value)
      .filter(([key]) => key !== 'index')
      .flatMap(([, v]) => flattenMessages(v));
  }
  return [String(value)];
}
