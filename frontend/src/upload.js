// Upload page: Uppy Dashboard + tus for the files, the grouped item list, and the publish form.
// Settings come from the server through json_script (#upload-config); no inline script anywhere,
// so the page works under a CSP without 'unsafe-inline'.
//
// What survives a page reload (Golden Retriever, no service worker, stored per portal user under
// config.restoreKey): the file list, each file's progress and tus upload URL (localStorage/
// IndexedDB), and the bytes of files up to 10 MiB (IndexedDB). Completed uploads come back complete;
// unfinished small files resume on "Upload"; bigger unfinished files come back as "ghosts" that
// resume where they stopped once the producer adds the same file again. The publish form itself
// (context, comment, reviewers) is not restored, nor a list whose files all finished; re-added,
// those files complete from the tus fingerprint.

import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';
import './upload.css';

import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import GoldenRetriever from '@uppy/golden-retriever';
import Tus from '@uppy/tus';

import { postJSON } from './api.js';
import { ContextPicker, isTask } from './context-picker.js';
import { parseExpiry, retentionNote } from './expiry.js';
import { ItemList, uploadIdFrom } from './items.js';
import { loadAssetTypes, ReviewerPicker, showFieldError, showFieldErrors } from './publish-form.js';

function readConfig() {
  const node = document.getElementById('upload-config');
  if (!node) throw new Error('upload-config is missing from the page');
  return JSON.parse(node.textContent);
}

export function formatBytes(bytes) {
  if (!bytes) return '';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

function restrictionNote(config) {
  const types = (config.allowedFileTypes || []).join(', ');
  const size = formatBytes(config.maxFileSize);
  return [types && `Allowed: ${types}`, size && `up to ${size} per file`].filter(Boolean).join(' — ');
}

function boot() {
  const config = readConfig();
  const form = document.getElementById('publish-form');
  const status = document.getElementById('upload-status');
  const submit = document.getElementById('publish-submit');
  const submitHint = document.getElementById('publish-submit-hint');
  const formError = document.getElementById('publish-form-error');
  const note = document.getElementById('upload-restrictions');
  note.textContent = restrictionNote(config);
  const expiryNote = document.getElementById('upload-expiry');
  expiryNote.textContent = retentionNote(config.uploadExpirySeconds);
  expiryNote.hidden = !expiryNote.textContent;

  // Messages raised in one go (files added + files refused by one drop) are announced together.
  let pending = [];
  const say = (message) => {
    if (!pending.length) {
      queueMicrotask(() => {
        status.textContent = pending.join(' ');
        pending = [];
      });
    }
    pending.push(message);
  };

  const uppy = new Uppy({
    // Golden Retriever keys what it stores by this id: per portal user (restoreKey), so people
    // sharing a browser profile never see each other's restored list. No key, no restore.
    id: config.restoreKey || 'review-portal-upload',
    autoProceed: false,
    // Uppy keeps relativePath: null for files not dropped in a folder, and the tus plugin would send
    // it as the string "null"; the contract makes relativePath optional, so drop it instead.
    onBeforeFileAdded: (file, files) => {
      if (Object.hasOwn(files, file.id)) return false; // Uppy's own duplicate rule
      if (typeof file.meta.relativePath === 'string' && file.meta.relativePath) return true;
      const { relativePath: _unused, ...meta } = file.meta;
      return { ...file, meta };
    },
    restrictions: {
      maxFileSize: config.maxFileSize || null,
      allowedFileTypes: config.allowedFileTypes?.length ? config.allowedFileTypes : null,
    },
  });
  uppy.use(Dashboard, {
    inline: true,
    target: '#uppy-dashboard',
    width: '100%',
    height: 440,
    fileManagerSelectionType: 'both',
    note: restrictionNote(config),
    proudlyDisplayPoweredByUppy: false,
    showRemoveButtonAfterComplete: true,
    // The default "Done" button clears every file, which would lose the upload ids we still need.
    doneButtonHandler: null,
    theme: 'light',
  });
  // Upload-Expires of the latest tus response per upload id (the server slides it with each PATCH).
  // Copied onto the file as `uploadExpires` (ISO), which Golden Retriever keeps across a reload.
  const expiries = new Map();
  const rememberExpiry = (uploadId, expires) => {
    if (!uploadId || !expires) return;
    expiries.set(uploadId, expires.toISOString());
    refresh();
  };
  function syncExpiries(files) {
    for (const file of files) {
      const known = expiries.get(uploadIdFrom(file.tus?.uploadUrl));
      if (known && known !== file.uploadExpires) uppy.setFileState(file.id, { uploadExpires: known });
    }
  }
  // Files being sent right now; the others (paused, failed, restored) show their expiry.
  const sending = new Set();

  uppy.use(Tus, {
    endpoint: config.endpoint,
    chunkSize: config.chunkSize || undefined,
    headers: { 'X-CSRFToken': config.csrfToken },
    // Meta is name, type and (folders only) relativePath; the plugin adds filename and filetype,
    // the keys docs/internals.md promises the server.
    allowedMetaFields: true,
    retryDelays: [0, 1000, 3000, 5000, 10000],
    limit: 4,
    // Keep the fingerprint of finished uploads: Golden Retriever forgets a fully uploaded list on
    // reload, and re-adding the same files must then finish at once (HEAD) instead of re-sending.
    removeFingerprintOnSuccess: false,
    onAfterResponse: (req, res) => {
      const expires = parseExpiry(res.getHeader('Upload-Expires'));
      if (!expires) return;
      // Creation answers on the collection URL: the upload's own URL is in Location.
      const location = req.getMethod() === 'POST' ? res.getHeader('Location') : req.getURL();
      if (location) rememberExpiry(uploadIdFrom(new URL(location, new URL(req.getURL(), window.location.href)).href), expires);
    },
  });
  if (config.restoreKey) uppy.use(GoldenRetriever, { serviceWorker: false });

  const items = new ItemList(document.getElementById('upload-items'), document.getElementById('upload-items-empty'), {
    isIdle: (file) => file.isPaused || Boolean(file.error) || file.isGhost || !sending.has(file.id),
  });
  let context = null;
  let submitting = false;

  // Matching (issue 11): every item gets its own task from its name and folder, asked of the server
  // for the picker's project whenever the items or the project change. Answers to older questions
  // are dropped.
  let matchedProject = '';
  let matchTimer = null;
  let matchRound = 0;
  function scheduleMatch() {
    clearTimeout(matchTimer);
    matchTimer = setTimeout(runMatch, 250);
  }
  async function runMatch() {
    const round = ++matchRound;
    const project = picker.projectId();
    matchedProject = project;
    const wanted = items.matchRequest();
    if (!project || !wanted.length) {
      items.setPlan([]);
      refresh();
      return;
    }
    try {
      const response = await postJSON(config.matchUrl, { project, items: wanted }, config.csrfToken);
      if (round !== matchRound) return;
      if (response.ok) {
        items.setPlan(response.body.items || []);
        const open = items.unplacedCount();
        say(open ? `${open} item${open === 1 ? '' : 's'} need${open === 1 ? 's' : ''} a task chosen.` : 'Every item has a task.');
      }
    } catch {
      // No proposal: the items wait for the form's task, as before matching existed.
    }
    refresh();
  }
  items.onItemsChange = scheduleMatch;
  items.onTargetsChange = () => refresh();

  const picker = new ContextPicker(document.getElementById('context-picker'), config.contextApi, (chosen) => {
    context = chosen;
    items.setFallback(isTask(chosen) ? chosen : null);
    if (picker.projectId() !== matchedProject) scheduleMatch();
    refresh();
  });
  for (const button of form.querySelectorAll('[data-apply-task]')) {
    button.addEventListener('click', () => {
      if (!isTask(context)) return;
      const selectedOnly = button.dataset.applyTask === 'selected';
      const count = items.applyTask(context, { selectedOnly });
      say(count ? `${context.path} applied to ${count} item${count === 1 ? '' : 's'}.` : 'Select items first.');
      refresh();
    });
  }
  const reviewers = new ReviewerPicker(document.getElementById('reviewer-picker'), config.contextApi.users);

  function blockers(files) {
    const reasons = [];
    if (!files.length) reasons.push('add files');
    else if (!items.allUploaded(files)) reasons.push('wait until every file is uploaded');
    const open = files.length ? items.unplacedCount() : 0;
    if (!files.length ? !isTask(context) : open === items.items.length && !isTask(context)) reasons.push('choose a task');
    else if (open) reasons.push(`choose a task for ${open} item${open === 1 ? '' : 's'}`);
    return reasons;
  }

  let refreshQueued = false;
  function refresh() {
    // Progress events come in bursts; one DOM update per frame is plenty.
    if (refreshQueued) return;
    refreshQueued = true;
    requestAnimationFrame(() => {
      refreshQueued = false;
      const files = uppy.getFiles();
      syncExpiries(files);
      items.update(files);
      const reasons = submitting ? ['publishing…'] : blockers(files);
      submit.disabled = reasons.length > 0;
      submitHint.textContent = reasons.length ? `To publish: ${reasons.join(', ')}.` : 'Ready to publish.';
      for (const button of form.querySelectorAll('[data-apply-task]')) button.disabled = !isTask(context) || !items.items.length;
    });
  }

  uppy.on('state-update', refresh);
  uppy.on('upload-progress', (file) => {
    if (file && !sending.has(file.id)) {
      sending.add(file.id);
      refresh();
    }
  });
  for (const event of ['upload-success', 'upload-error', 'file-removed']) uppy.on(event, (file) => file && sending.delete(file.id));
  uppy.on('upload', (_id, files) => files.forEach((file) => sending.add(file.id)));
  uppy.on('cancel-all', () => sending.clear());
  uppy.on('files-added', (added) => {
    if (added.length) say(`${added.length} file${added.length === 1 ? '' : 's'} added.`);
  });
  uppy.on('restriction-failed', (file, error) => {
    say(file ? `${file.name} was refused: ${error.message}` : error.message);
  });
  uppy.on('upload', (_id, files) => say(`Uploading ${files.length} file${files.length === 1 ? '' : 's'}…`));
  uppy.on('upload-error', (file, error) => say(`${file?.name || 'A file'} failed to upload: ${error.message}. Use retry to try again.`));
  uppy.on('complete', (result) => {
    const failed = result.failed?.length || 0;
    say(failed ? `${failed} file${failed === 1 ? '' : 's'} failed to upload. Use retry.` : 'All files uploaded.');
  });
  uppy.on('restored', () => {
    sending.clear();
    // Refresh the expiry of restored unfinished uploads from the server (GET /api/uploads/<id>).
    for (const file of uppy.getFiles()) {
      const url = file.tus?.uploadUrl;
      if (!url || file.progress?.uploadComplete) continue;
      fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then((response) => (response.ok ? response.json() : null))
        .then((body) => rememberExpiry(uploadIdFrom(url), parseExpiry(body?.expires_at)))
        .catch(() => {}); // the stored expiry (if any) stays shown
    }
    const ghosts = uppy.getFiles().filter((f) => f.isGhost).length;
    say(
      ghosts
        ? `Restored your last upload. Add the ${ghosts} file${ghosts === 1 ? '' : 's'} marked as missing again to resume.`
        : 'Restored your last upload.',
    );
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const files = uppy.getFiles();
    if (blockers(files).length || submitting) return;
    submitting = true;
    refresh();
    showFieldError(formError, '');
    const payload = {
      context_id: isTask(context) ? context.id : '',
      asset_type: form.elements.asset_type.value,
      comment: form.elements.comment.value,
      reviewers: reviewers.ids(),
      encode: form.elements.encode.checked,
      items: items.payload(files),
    };
    say('Publishing…');
    let published = false;
    try {
      const response = await postJSON(config.submitUrl, payload, config.csrfToken);
      if (response.ok && response.body?.url) {
        say('Published. Opening the batch page…');
        published = true;
        window.location.assign(response.body.url);
        return;
      }
      // The API's error shape: {"error": {"code", "message", "details"}}; a refused batch carries
      // {"errors": {field: [...]}, "item_errors": [{...}]} in its details.
      const error = response.body?.error || {};
      const details = error.details || {};
      const refused = Boolean(details.errors || details.item_errors);
      const orphans = showFieldErrors(document.body, details.errors);
      items.showErrors(details.item_errors);
      const message = [...orphans, refused ? '' : error.message || response.message].filter(Boolean).join(' ');
      showFieldError(formError, message || 'Please correct the highlighted fields.');
      say('Not published: please correct the highlighted fields.');
    } catch (err) {
      showFieldError(formError, err.message);
      say('Not published.');
    } finally {
      // After a success the page is navigating away: keep the button disabled.
      submitting = published;
      refresh();
    }
  });

  picker.start();
  reviewers.start();
  loadAssetTypes(form.elements.asset_type, config.contextApi.assetTypes, form.querySelector('[data-error-for="asset_type"]'));
  refresh();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
