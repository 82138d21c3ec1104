// The ftrack context picker: a cascade of native selects (project → sequence → shot → task; native
// selects are keyboard and screen-reader friendly for free) plus a typeahead search combobox for
// producers who know the name. Either way ends in one chosen context; only a Task is publishable.

import { ApiError, el, getJSON } from './api.js';

const SEARCH_DELAY_MS = 250;
const MIN_QUERY_LENGTH = 2;

function pathText(path) {
  return Array.isArray(path) ? path.join(' / ') : String(path || '');
}

export function isTask(node) {
  return String(node?.type || '').toLowerCase() === 'task';
}

export class ContextPicker {
  /**
   * @param {HTMLElement} root  the picker fieldset (see templates/publishing/upload.html)
   * @param {{projects: string, children: string, search: string}} api
   * @param {(context: object|null) => void} onChange
   */
  constructor(root, api, onChange) {
    this.root = root;
    this.api = api;
    this.onChange = onChange;
    this.context = null;
    this.levels = root.querySelector('[data-picker-levels]');
    this.chosen = root.querySelector('[data-picker-chosen]');
    this.error = root.querySelector('[data-picker-error]');
    this.searchInput = root.querySelector('[data-picker-search]');
    this.results = root.querySelector('[data-picker-results]');
    this.searchTimer = null;
    this.searchAbort = null;
    this.activeIndex = -1;
    this.resultNodes = [];
    this.#bindSearch();
  }

  async start() {
    try {
      const projects = await getJSON(this.api.projects);
      this.#addLevel(0, 'Project', projects.map((p) => ({ ...p, type: 'Project', has_children: true })));
    } catch (err) {
      this.#showError(err);
    }
  }

  // ---- cascade -------------------------------------------------------------------------------

  #addLevel(depth, label, nodes) {
    const id = `context-level-${depth}`;
    const select = el(
      'select',
      { id, name: id, dataset: { depth: String(depth) } },
      el('option', { value: '' }, nodes.length ? `Choose a ${label.toLowerCase()}…` : 'Nothing here'),
      nodes.map((node) => el('option', { value: node.id }, node.name)),
    );
    select.disabled = nodes.length === 0;
    select.addEventListener('change', () => this.#onLevelChange(depth, select, nodes));
    this.levels.append(el('div', { class: 'rp-level', dataset: { depth: String(depth) } }, el('label', { for: id }, label), select));
  }

  #dropLevelsBelow(depth) {
    for (const level of [...this.levels.querySelectorAll('.rp-level')]) {
      if (Number(level.dataset.depth) > depth) level.remove();
    }
  }

  #pathTo(depth) {
    return [...this.levels.querySelectorAll('select')]
      .filter((s) => Number(s.dataset.depth) <= depth && s.value)
      .map((s) => s.selectedOptions[0].textContent);
  }

  async #onLevelChange(depth, select, nodes) {
    this.#dropLevelsBelow(depth);
    this.#clearError();
    // The search box showed the previous choice; leaving it would contradict the cascade.
    this.searchInput.value = '';
    const node = nodes.find((n) => n.id === select.value);
    if (!node) {
      this.#choose(null);
      return;
    }
    this.#choose(node.type === 'Project' ? null : { ...node, path: this.#pathTo(depth).join(' / ') });
    if (!node.has_children || isTask(node)) return;
    select.setAttribute('aria-busy', 'true');
    try {
      const children = await getJSON(this.api.children, { parent: node.id });
      // The producer may have picked something else while we waited.
      if (select.value !== node.id) return;
      this.#dropLevelsBelow(depth);
      const types = [...new Set(children.map((c) => c.type).filter(Boolean))];
      this.#addLevel(depth + 1, types.length === 1 ? types[0] : types.join(' / ') || 'Item', children);
    } catch (err) {
      this.#showError(err);
    } finally {
      select.removeAttribute('aria-busy');
    }
  }

  projectId() {
    const first = this.levels.querySelector('select[data-depth="0"]');
    return first?.value || '';
  }

  // ---- typeahead search ----------------------------------------------------------------------

  #bindSearch() {
    const input = this.searchInput;
    input.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.#search(input.value.trim()), SEARCH_DELAY_MS);
    });
    input.addEventListener('keydown', (event) => this.#onSearchKey(event));
    input.addEventListener('blur', () => {
      // Let a click on a result land before the list disappears.
      setTimeout(() => this.#closeResults(), 150);
    });
  }

  async #search(query) {
    if (this.searchAbort) this.searchAbort.abort();
    if (query.length < MIN_QUERY_LENGTH) {
      this.#closeResults();
      return;
    }
    this.searchAbort = new AbortController();
    try {
      const results = await getJSON(
        this.api.search,
        { q: query, project: this.projectId() },
        { signal: this.searchAbort.signal },
      );
      this.#clearError();
      this.#showResults(results);
    } catch (err) {
      if (err.name !== 'AbortError') this.#showError(err);
    }
  }

  #showResults(results) {
    this.results.replaceChildren();
    this.activeIndex = -1;
    this.resultNodes = results;
    if (!results.length) {
      this.results.append(el('li', { class: 'rp-empty', role: 'option', 'aria-disabled': 'true' }, 'No matching task or shot'));
    }
    results.forEach((node, index) => {
      const option = el(
        'li',
        { id: `context-result-${index}`, role: 'option', 'aria-selected': 'false', dataset: { index: String(index) } },
        el('span', { class: 'rp-result-name' }, node.name),
        el('span', { class: 'rp-result-type' }, node.type),
        el('span', { class: 'rp-result-path' }, pathText(node.path)),
      );
      // mousedown, not click: it fires before the input's blur closes the list.
      option.addEventListener('mousedown', (event) => {
        event.preventDefault();
        this.#pickResult(index);
      });
      this.results.append(option);
    });
    this.results.hidden = false;
    this.searchInput.setAttribute('aria-expanded', 'true');
  }

  #closeResults() {
    this.results.hidden = true;
    this.searchInput.setAttribute('aria-expanded', 'false');
    this.searchInput.removeAttribute('aria-activedescendant');
    this.activeIndex = -1;
  }

  #moveActive(step) {
    const count = this.resultNodes.length;
    if (!count) return;
    this.activeIndex = (this.activeIndex + step + count) % count;
    for (const option of this.results.querySelectorAll('[role="option"]')) {
      const active = Number(option.dataset.index) === this.activeIndex;
      option.setAttribute('aria-selected', active ? 'true' : 'false');
      option.classList.toggle('is-active', active);
      if (active) option.scrollIntoView({ block: 'nearest' });
    }
    this.searchInput.setAttribute('aria-activedescendant', `context-result-${this.activeIndex}`);
  }

  #onSearchKey(event) {
    const open = !this.results.hidden;
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      if (open) this.#moveActive(1);
      else this.#search(this.searchInput.value.trim());
    } else if (event.key === 'ArrowUp' && open) {
      event.preventDefault();
      this.#moveActive(-1);
    } else if (event.key === 'Enter' && open && this.activeIndex >= 0) {
      event.preventDefault();
      this.#pickResult(this.activeIndex);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      this.#closeResults();
    }
  }

  #pickResult(index) {
    const node = this.resultNodes[index];
    if (!node) return;
    // The cascade below the project no longer describes the choice: reset it to avoid two truths,
    // and show the result's own project in the project select.
    this.#dropLevelsBelow(0);
    this.#closeResults();
    const project = this.levels.querySelector('select[data-depth="0"]');
    if (project && node.project_id && [...project.options].some((o) => o.value === node.project_id)) {
      project.value = node.project_id;
    }
    this.searchInput.value = node.name;
    this.#choose({ ...node, path: pathText(node.path) });
  }

  // ---- state ---------------------------------------------------------------------------------

  #choose(context) {
    this.context = context;
    if (!context) {
      this.chosen.textContent = 'No task chosen yet.';
      this.chosen.classList.remove('is-chosen', 'is-not-task');
    } else if (isTask(context)) {
      this.chosen.textContent = `Publishing to ${context.path || context.name}`;
      this.chosen.classList.add('is-chosen');
      this.chosen.classList.remove('is-not-task');
    } else {
      this.chosen.textContent = `${context.path || context.name} is a ${context.type}: choose one of its tasks.`;
      this.chosen.classList.remove('is-chosen');
      this.chosen.classList.add('is-not-task');
    }
    this.onChange(context);
  }

  #showError(err) {
    this.error.textContent = err instanceof ApiError ? err.message : 'Could not load ftrack projects. Please reload the page.';
    this.error.hidden = false;
  }

  #clearError() {
    this.error.textContent = '';
    this.error.hidden = true;
  }
}
