// The publish form fields that are not the context: asset type, reviewers (searchable checkbox
// list, a pattern that stays keyboard and screen-reader usable), and the inline server errors.

import { ApiError, el, getJSON } from './api.js';
import { flattenMessages } from './items.js';

const DEFAULT_ASSET_TYPE = 'Upload';

export async function loadAssetTypes(select, url, errorBox) {
  try {
    const types = await getJSON(url);
    select.replaceChildren(
      ...types.map((t) => el('option', { value: t.name, dataset: { id: t.id } }, t.name)),
    );
    const preferred = types.find((t) => t.name === DEFAULT_ASSET_TYPE) || types[0];
    if (preferred) select.value = preferred.name;
  } catch (err) {
    showFieldError(errorBox, err instanceof ApiError ? err.message : 'Could not load asset types.');
  }
}

export class ReviewerPicker {
  constructor(root, url) {
    this.root = root;
    this.url = url;
    this.filter = root.querySelector('[data-reviewer-filter]');
    this.list = root.querySelector('[data-reviewer-list]');
    this.summary = root.querySelector('[data-reviewer-summary]');
    this.error = root.querySelector('[data-error-for="reviewers"]');
    this.filter.addEventListener('input', () => this.#applyFilter());
    // Enter in the filter would submit the form; pick the only match instead.
    this.filter.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      const visible = [...this.list.querySelectorAll('li:not([hidden]) input')];
      if (visible.length === 1) {
        visible[0].checked = !visible[0].checked;
        this.#updateSummary();
      }
    });
  }

  async start() {
    try {
      const users = await getJSON(this.url);
      this.list.replaceChildren(
        ...users.map((user, index) => {
          const id = `reviewer-${index}`;
          const box = el('input', { id, type: 'checkbox', name: 'reviewers', value: user.id });
          box.addEventListener('change', () => this.#updateSummary());
          const text = `${user.name || user.username} ${user.username}`.toLowerCase();
          return el(
            'li',
            { dataset: { search: text } },
            box,
            el('label', { for: id }, user.name || user.username, ' ', el('span', { class: 'rp-username' }, user.username)),
          );
        }),
      );
      this.#updateSummary();
    } catch (err) {
      showFieldError(this.error, err instanceof ApiError ? err.message : 'Could not load ftrack users.');
    }
  }

  #applyFilter() {
    const words = this.filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const li of this.list.children) {
      const match = words.every((w) => li.dataset.search.includes(w));
      li.hidden = !match;
      if (match) shown++;
    }
    this.list.dataset.empty = shown === 0 ? 'true' : 'false';
  }

  #updateSummary() {
    const names = this.selected().map((box) => box.labels[0].firstChild.textContent);
    this.summary.textContent = names.length ? `Reviewers: ${names.join(', ')}` : 'No reviewers chosen.';
  }

  selected() {
    return [...this.list.querySelectorAll('input[type="checkbox"]:checked')];
  }

  ids() {
    return this.selected().map((box) => box.value);
  }
}

export function showFieldError(box, message) {
  if (!box) return;
  box.textContent = message;
  box.hidden = !message;
}

/**
 * Shows {"errors": {field: [messages]}} next to the fields under root; returns the messages that have no
 * field on this page so the caller can show them in the form-wide box.
 */
export function showFieldErrors(root, errors) {
  for (const box of root.querySelectorAll('[data-error-for]')) showFieldError(box, '');
  for (const field of root.querySelectorAll('[aria-invalid="true"]')) {
    if (field.name !== 'asset_name') field.removeAttribute('aria-invalid');
  }
  const orphans = [];
  for (const [field, messages] of Object.entries(errors || {})) {
    const text = flattenMessages(messages).join(' ');
    const box = root.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (!box) {
      orphans.push(field === '__all__' || field === 'non_field_errors' ? text : `${field}: ${text}`);
      continue;
    }
    showFieldError(box, text);
    const input = box.dataset.errorInput && root.querySelector(box.dataset.errorInput);
    if (input) input.setAttribute('aria-invalid', 'true');
  }
  return orphans;
}
