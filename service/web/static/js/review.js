// Editors' keyboard work: j/k next/previous, a approve, r reject, f feature, u undo; Enter opens; x selects.
// The queue page remembers its order (and its filter) so the asset page can move to the next item after a decision
// and come back to the same filter after the last one.
import { api } from './csrf.js';

const KEY = 'mediadesk.queue';
const UNDO_MS = 8000;
// Problem details read "中文 / English": show the page's language only.
const one = (text) => {
  const [zh, en] = String(text ?? '').split(' / ');
  return document.body.dataset.lang === 'en' ? (en ?? zh) : zh;
};
const typing = (target) => ['INPUT', 'TEXTAREA', 'SELECT'].includes(target?.tagName);
const grid = document.getElementById('queue-grid');
const detail = document.getElementById('asset-detail');

// A saved filter is deleted only after the user confirms.
for (const form of document.querySelectorAll('form.confirm')) {
  form.addEventListener('submit', (event) => { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
}

function setupGrid() {
  const tiles = [...grid.querySelectorAll('.tile')];
  sessionStorage.setItem(KEY, JSON.stringify({
    ids: tiles.map((t) => t.dataset.assetId), back: location.pathname + location.search,
  }));
  const undoBar = document.getElementById('undo-bar');
  const undoText = document.getElementById('undo-text');
  const counts = document.getElementById('queue-counts');
  let undoable = null;
  let undoTimer = null;
  let index = 0;
  const focus = (i) => {
    if (!tiles.length) return;
    index = Math.max(0, Math.min(tiles.length - 1, i));
    tiles.forEach((t, n) => t.classList.toggle('current', n === index));
    tiles[index].scrollIntoView({ block: 'nearest' });
  };
  focus(0);
  const setBadge = (tile, status) => {
    const badge = tile.querySelector('.badge.status');
    badge.className = `badge status ${status}`;
    badge.textContent = JSON.parse(badge.dataset.names)[status] ?? badge.textContent;
    tile.dataset.status = status;
  };
  const remaining = (delta) => {
    if (!counts || counts.dataset.remaining.endsWith('+')) return;  // a capped count ("10000+") stays as it is
    counts.dataset.remaining = String(Number(counts.dataset.remaining) + delta);
    counts.textContent = counts.dataset.template.replace('{total}', counts.dataset.total)
      .replace('{remaining}', counts.dataset.remaining);
  };
  async function quickDecision(action) {
    const tile = tiles[index];
    const id = tile.dataset.assetId;
    const claimed = await api(`/api/v1/review/assets/${id}/claim`, { method: 'POST' });
    if (!claimed.ok) { alert(one(claimed.data?.detail)); return; }
    const previous = tile.querySelector('.badge.status').className.split(' ').pop();
    const result = await api(`/api/v1/review/assets/${id}/decision`,
      { method: 'POST', body: { action, version: claimed.data.version } });
    if (!result.ok) { alert(one(result.data?.detail)); return; }
    setBadge(tile, result.data.review_status);
    if (previous === 'pending') remaining(-1);
    undoable = { tile, previous };
    const names = JSON.parse(tile.querySelector('.badge.status').dataset.names);
    undoText.textContent = `${names[result.data.review_status]} · ${tile.dataset.title}`;
    undoBar.hidden = false;
    clearTimeout(undoTimer);
    undoTimer = setTimeout(() => { undoBar.hidden = true; undoable = null; }, UNDO_MS);
    focus(index + 1);
  }
  async function undo() {
    if (!undoable) return;
    const { tile, previous } = undoable;
    undoable = null;
    undoBar.hidden = true;
    const result = await api(`/api/v1/review/assets/${tile.dataset.assetId}/undo`, { method: 'POST' });
    if (!result.ok) { alert(one(result.data?.detail)); return; }
    setBadge(tile, result.data.review_status ?? previous);
    if (result.data.review_status === 'pending') remaining(1);
    focus(tiles.indexOf(tile));
  }
  document.getElementById('undo-button')?.addEventListener('click', undo);
  document.addEventListener('keydown', (event) => {
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const tile = tiles[index];
    if (event.key === 'j') focus(index + 1);
    else if (event.key === 'k') focus(index - 1);
    else if ((event.key === 'Enter' || event.key === 'o') && tile) location.href = tile.querySelector('a.open').href;
    else if (event.key === 'x' && tile) tile.querySelector('input[type=checkbox]').click();
    else if (event.key === 'a' && tile) quickDecision('approve');
    else if (event.key === 'f' && tile) quickDecision('feature');
    else if (event.key === 'u') undo();
    else if (event.key === 'r' && tile) location.href = `${tile.querySelector('a.open').href}#reject`;
    else return;
    event.preventDefault();
  });
  document.getElementById('select-all')?.addEventListener('change', (event) => {
    grid.querySelectorAll('input[name=asset_ids]').forEach((box) => { box.checked = event.target.checked; });
  });
}

function setupZoom() {
  const dialog = document.getElementById('zoom');
  if (!dialog) return;
  const open = (event) => {
    event.preventDefault();
    const img = dialog.querySelector('img');
    if (!img.src) img.src = img.dataset.src;
    dialog.showModal();
  };
  document.getElementById('zoom-link')?.addEventListener('click', open);
  document.getElementById('zoom-open')?.addEventListener('click', open);
  document.getElementById('zoom-close')?.addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', (event) => { if (event.target === dialog) dialog.close(); });
}

function setupDetail() {
  for (const mark of detail.querySelectorAll('.timeline span')) mark.style.left = `${mark.dataset.left}%`;
  setupZoom();
  const id = detail.dataset.assetId;
  const stored = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  const ids = stored?.ids ?? [];
  const at = ids.indexOf(id);
  const neighbour = (step) => (at >= 0 ? ids[at + step] : undefined);
  const next = neighbour(1);
  const back = stored?.back?.startsWith('/review') ? stored.back : '/review';
  const nextTarget = document.getElementById('next-target');
  // After the last item of a filtered list, return to the same filter (never to the unfiltered queue).
  if (nextTarget) nextTarget.value = next ? `/review/assets/${next}` : back;
  const backLink = document.getElementById('back-to-queue');
  if (backLink) backLink.href = back;
  const reason = document.getElementById('reason-code');
  if (location.hash === '#reject') reason?.focus();
  const press = (key) => document.querySelector(`#decision-form button[data-key="${key}"]`)?.click();
  document.addEventListener('keydown', (event) => {
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'j' && next) location.href = `/review/assets/${next}`;
    else if (event.key === 'k' && neighbour(-1)) location.href = `/review/assets/${neighbour(-1)}`;
    else if (event.key === 'a') press('a');
    else if (event.key === 'f') press('f');
    else if (event.key === 'r') {
      if (reason && !reason.value) { reason.focus(); return; }
      press('r');
    } else return;
    event.preventDefault();
  });
  // Leaving without deciding: give the claim back so a colleague can take the item at once.
  window.addEventListener('pagehide', () => {
    if (!document.getElementById('decision-form')) return;
    fetch(`/api/v1/review/assets/${id}/claim`, {
      method: 'DELETE', keepalive: true, credentials: 'same-origin',
      headers: { 'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content },
    });
  });
}

if (grid) setupGrid();
if (detail) setupDetail();
