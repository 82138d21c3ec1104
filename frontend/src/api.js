// Small JSON helpers shared by the pickers and the submit: one place that knows how the portal
// reports errors ({"error": {"code", "message"}}) so every caller shows the same readable text.

export class ApiError extends Error {
  constructor(message, { status = 0, code = '', body = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export function withParams(url, params = {}) {
  const target = new URL(url, window.location.href);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') target.searchParams.set(key, value);
  }
  // Same-origin relative URL: keeps what we request (and any log of it) free of host details.
  return target.pathname + target.search;
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorMessage(response, body) {
  if (body?.error?.message) return body.error.message;
  if (response.status === 401 || response.status === 403) return 'You are not allowed to do this. Please sign in again.';
  if (response.status >= 500) return `The portal could not answer (error ${response.status}). Please try again.`;
  return `Request failed (error ${response.status}).`;
}

export async function getJSON(url, params, { signal } = {}) {
  let response;
  try {
    response = await fetch(withParams(url, params), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError('The portal cannot be reached. Check your connection and try again.');
  }
  const body = await readBody(response);
  if (!response.ok) {
    throw new ApiError(errorMessage(response, body), { status: response.status, code: body?.error?.code, body });
  }
  return body;
}

export async function postJSON(url, payload, csrfToken) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken },
      body: JSON.stringify(payload),
    });
  } catch {
    throw new ApiError('The portal cannot be reached. Check your connection and try again.');
  }
  const body = await readBody(response);
  return { status: response.status, ok: response.ok, body, message: response.ok ? '' : errorMessage(response, body) };
}

// Builds an element: el('li', {class: 'x', dataset: {key: 'k'}}, 'text', child). No innerHTML
// anywhere, so names coming from ftrack can never inject markup.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'text') node.textContent = value;
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
