// Editors' keyboard work: j/k next/previous, a approve, r reject, f feature; Enter opens; x selects.
// The queue page remembers its order so the asset page can move to the next item after a decision.
import { api } from './csrf.js';

const KEY = 'mediadesk.queue';
const typing = (target) => ['INPUT', 'TEXTAREA', 'SELECT'].includes(target?.tagName);
const grid = document.getElementById('queue-grid');
const detail = document.getElementById('asset-detail');

function setupGrid() {
  const tiles = [...grid.querySelectorAll('.tile')];
  sessionStorage.setItem(KEY, JSON.stringify({ ids: tiles.map((t) => t.dataset.assetId), back: location.href }));
  let index = 0;
  const focus = (i) => {
    if (!tiles.length) return;
    index = Math.max(0, Math.min(tiles.length - 1, i));
    tiles.forEach((t, n) => t.classList.toggle('current', n === index));
    tiles[index].scrollIntoView({ block: 'nearest' });
  };
  focus(0);
  async function quickDecision(action) {
    const tile = tiles[index];
    const id = tile.dataset.assetId;
    const claimed = await api(`/api/v1/review/assets/${id}/claim`, { method: 'POST' });
    if (!claimed.ok) { alert(claimed.data?.detail ?? '操作失败'); return; }
    const result = await api(`/api/v1/review/assets/${id}/decision`,
      { method: 'POST', body: { action, version: claimed.data.version } });
    if (!result.ok) { alert(result.data?.detail ?? '操作失败'); return; }
    const badge = tile.querySelector('.badge');
    badge.className = `badge ${result.data.review_status}`;
    badge.textContent = { approved: '已采用', featured: '精选' }[result.data.review_status] ?? result.data.review_status;
    focus(index + 1);
  }
  document.addEventListener('keydown', (event) => {
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const tile = tiles[index];
    if (event.key === 'j') focus(index + 1);
    else if (event.key === 'k') focus(index - 1);
    else if ((event.key === 'Enter' || event.key === 'o') && tile) location.href = tile.querySelector('a.open').href;
    else if (event.key === 'x' && tile) tile.querySelector('input[type=checkbox]').click();
    else if (event.key === 'a' && tile) quickDecision('approve');
    else if (event.key === 'f' && tile) quickDecision('feature');
    else if (event.key === 'r' && tile) location.href = `${tile.querySelector('a.open').href}#reject`;
    else return;
    event.preventDefault();
  });
  document.getElementById('select-all')?.addEventListener('change', (event) => {
    grid.querySelectorAll('input[name=asset_ids]').forEach((box) => { box.checked = event.target.checked; });
  });
}

function setupDetail() {
  for (const mark of detail.querySelectorAll('.timeline span')) mark.style.left = `${mark.dataset.left}%`;
  const id = detail.dataset.assetId;
  const stored = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  const ids = stored?.ids ?? [];
  const at = ids.indexOf(id);
  const neighbour = (step) => (at >= 0 ? ids[at + step] : undefined);
  const next = neighbour(1);
  const nextTarget = document.getElementById('next-target');
  if (nextTarget) nextTarget.value = next ? `/review/assets/${next}` : '/review';
  const back = document.getElementById('back-to-queue');
  if (back && stored?.back) back.href = stored.back;
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
