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
    this.rows = new Map(); // item key -> {row, progress, percent, input, error, target, choice, pick}
    // Per-item targets (issue 11): what matching proposed, and what the producer chose.
    this.plans = new Map(); // item key -> a row of POST /api/context/match/
    this.chosen = new Map(); // item key -> {id, path} chosen by the producer
    this.fallback = null; // the form's task: the target of items without one of their own
  }

  /** Names and folders to match, one per item (the same order as `items`). */
  matchRequest() {
    return this.items.map((item) => ({ name: item.display, folder: item.folder || '' }));
  }

  /** Takes the answers of POST /api/context/match/ for the current items. */
  setPlan(rows) {
    this.plans.clear();
    this.items.forEach((item, index) => {
      const row = rows[index];
      if (!row) return;
      this.plans.set(item.key, row);
      const parts = this.rows.get(item.key);
      if (row.status === 'placed' && parts && !this.assetNames.has(item.key)) parts.input.value = row.asset_name;
    });
    this.#showTargets();
  }

  /** The form's picker: the given task for every item, or for the selected ones. */
  applyTask(context, { selectedOnly = false } = {}) {
    const keys = selectedOnly ? this.selectedKeys() : this.items.map((i) => i.key);
    for (const key of keys) this.chosen.set(key, { id: context.id, path: context.path });
    this.#showTargets();
    return keys.length;
  }

  setFallback(context) {
    this.fallback = context ? { id: context.id, path: context.path } : null;
    this.#showTargets();
  }

  selectedKeys() {
    return this.items.filter((i) => this.rows.get(i.key)?.pick.checked).map((i) => i.key);
  }

  /** {id, path, why} where the item goes, or null while a person must still choose. */
  targetOf(item) {
    const own = this.chosen.get(item.key);
    if (own) return { ...own, why: 'chosen by you' };
    const plan = this.plans.get(item.key);
    if (plan?.status === 'placed') return { id: plan.context_id, path: plan.path, why: plan.reason };
    if (plan?.status === 'ambiguous') return null; // never guessed, not even from the form's task
    return this.fallback ? { ...this.fallback, why: "the form's task" } : null;
  }

  unplacedCount() {
    return this.items.filter((item) => !this.targetOf(item)).length;
  }

  #showTargets() {
    for (const item of this.items) {
      const parts = this.rows.get(item.key);
      if (!parts) continue;
      const plan = this.plans.get(item.key);
      const target = this.targetOf(item);
      const lines = [];
      if (target) {
        lines.push(el('span', { class: 'rp-item-path' }, `→ ${target.path}`), ` (${target.why})`);
        if (plan?.status === 'placed' && target.id === plan.context_id && plan.next_version) {
          lines.push(el('span', { class: 'rp-item-version' }, ` — will be v${String(plan.next_version).padStart(3, '0')} of ${plan.asset_name}`));
        }
      } else if (plan?.status === 'ambiguous') {
        lines.push(`Choose the task: ${plan.reason}`);
      } else {
        lines.push(plan ? `Not placed: ${plan.reason}. Choose a task.` : 'Choose a task.');
      }
      const warnings = plan?.status === 'placed' && target?.id === plan.context_id ? plan.warnings || [] : [];
      parts.target.replaceChildren(...lines, ...warnings.map((w) => el('span', { class: 'rp-item-warning' }, ` ⚠ ${w}`)));
      parts.row.classList.toggle('needs-choice', !target);
      this.#showChoice(item, parts, plan);
    }
  }

  #showChoice(item, parts, plan) {
    const candidates = plan?.status === 'ambiguous' ? plan.candidates || [] : [];
    if (!candidates.length) {
      parts.choice.replaceChildren();
      return;
    }
    const id = `item-task-${this.items.indexOf(item)}`;
    if (parts.choice.dataset.for === plan.reason + candidates.length) return; // keep focus and value
    parts.choice.dataset.for = plan.reason + candidates.length;
    const select = el(
      'select',
      { id, name: 'item_task' },
      el('option', { value: '' }, 'Choose a task…'),
      candidates.map((c) => el('option', { value: c.id }, c.id === plan.suggested ? `${c.path} (your last choice)` : c.path)),
    );
    const own = this.chosen.get(item.key);
    if (own) select.value = own.id;
    select.addEventListener('change', () => {
      const picked = candidates.find((c) => c.id === select.value);
      if (picked) this.chosen.set(item.key, { id: picked.id, path: picked.path });
      else this.chosen.delete(item.key);
      this.#showTargets();
      this.onTargetsChange?.();
    });
    parts.choice.replaceChildren(el('label', { for: id }, `Task for ${item.display}`), select);
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
      const pickId = `item-pick-${index}`;
      const pick = el('input', { id: pickId, type: 'checkbox', class: 'rp-item-pick' });
      const target = el('p', { class: 'rp-item-target', 'aria-live': 'polite' });
      const choice = el('div', { class: 'rp-item-field rp-item-choice' });
      const row = el(
        'li',
        { class: `rp-item rp-item--${item.kind}`, dataset: { itemKey: item.key, kind: item.kind } },
        el(
          'div',
          { class: 'rp-item-head' },
          pick,
          el('label', { for: pickId, class: 'rp-visually-hidden' }, `Select ${item.display}`),
          el('span', { class: 'rp-item-kind' }, KIND_LABEL[item.kind]),
          el('span', { class: 'rp-item-title' }, title),
        ),
        target,
        choice,
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
      this.rows.set(item.key, { row, progress, percent, input, error, expiry, target, choice, pick });
      this.list.append(row);
    });
    this.#showTargets();
    this.onItemsChange?.();
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
      const target = this.targetOf(item);
      if (target) entry.context_id = target.id;
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
