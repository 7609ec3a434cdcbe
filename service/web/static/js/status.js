// Per-file status of a submission, refreshed without reload: processing step, thumbnail, the server's reasons with
// matching advice, and each file's own headline and caption (a returned file goes back to review once fixed).
// Names come from the page (#status-names, rendered from the server's catalogue): no codes on screen.
import { api, el } from './csrf.js';

const table = document.getElementById('asset-status');
const N = JSON.parse(document.getElementById('status-names')?.textContent ?? '{}');
const zh = document.body.dataset.lang !== 'en';
const TERMINAL = new Set(['ready', 'rejected_invalid', 'failed']);
const rows = new Map();

function reasonCell(cell, item) {
  cell.replaceChildren();
  if (item.reason) {
    cell.append(el('div', { class: 'error', text: zh ? item.reason.zh : item.reason.en }));
    const advice = zh ? item.reason.advice : item.reason.advice_en;
    if (advice) cell.append(el('div', { class: 'muted advice', text: advice }));
  }
  if (item.review_reason && item.review_status !== 'pending') {
    const r = item.review_reason;
    cell.append(el('div', { class: 'error', text: zh ? r.zh : r.en }));
    if (r.text) cell.append(el('div', { text: `${N.labels.editor_note}${zh ? '：' : ': '}${r.text}` }));
    const advice = zh ? r.advice : r.advice_en;
    if (advice) cell.append(el('div', { class: 'muted advice', text: advice }));
  }
}

function captionCell(item) {
  const cell = el('td', { class: 'file', 'data-label': N.labels.file });
  const title = el('div', { class: 'title', text: item.headline || item.filename });
  const sub = el('div', { class: 'muted', text: item.headline ? item.filename : '' });
  const headline = el('input', { name: 'headline', maxlength: '200', value: item.headline ?? '' });
  const caption = el('textarea', { name: 'caption', rows: '3', maxlength: '2000' });
  caption.value = item.caption ?? '';
  const save = el('button', { type: 'submit', class: 'primary' });
  const said = el('span', { class: 'ok', role: 'status' });
  const form = el('form', { class: 'file-caption' },
    el('label', {}, N.labels.headline, headline), el('label', {}, N.labels.caption, caption), save, said);
  const details = el('details', { class: 'caption-edit' }, el('summary', { text: N.labels.describe }), form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    const { ok, data } = await api(`/api/v1/assets/${item.asset_id}/caption`,
      { method: 'PUT', body: { headline: headline.value, caption: caption.value } });
    save.disabled = false;
    if (!ok) { said.className = 'error'; said.textContent = String(data?.detail ?? '').split(' / ')[zh ? 0 : 1] ?? ''; return; }
    said.className = 'ok';
    said.textContent = data.review_status === 'pending' && item.review_status === 'returned'
      ? N.labels.resubmitted : N.labels.saved;
    title.textContent = data.headline || item.filename;
    details.open = false;
    poll();
  });
  const replaceInput = el('input', { type: 'file', accept: 'image/*,video/*', class: 'replace-input' });
  const replace = el('label', { class: 'button replace', hidden: '' }, N.labels.replace, replaceInput);
  replaceInput.addEventListener('change', () => {
    if (!replaceInput.files.length) return;
    window.dispatchEvent(new CustomEvent('mediadesk:replace',
      { detail: { file: replaceInput.files[0], replaces: item.asset_id } }));
    replaceInput.value = '';
  });
  cell.append(title, sub, details, replace);
  return { cell, details, save, title, replace };
}

function update(item) {
  let row = rows.get(item.asset_id);
  if (!row) {
    const caption = captionCell(item);
    row = {
      tr: el('tr', { 'data-asset-id': item.asset_id }),
      thumb: el('td', { class: 'thumb-cell' }),
      caption,
      status: el('td', { 'data-label': N.labels.processing }),
      review: el('td', { 'data-label': N.labels.review }),
      reason: el('td', { class: 'reason', 'data-label': N.labels.reason }),
    };
    row.tr.append(row.thumb, caption.cell, row.status, row.review, row.reason);
    rows.set(item.asset_id, row);
  }
  const { tr } = row;
  tr.dataset.status = item.status;
  tr.dataset.reviewStatus = item.review_status ?? '';
  tr.classList.toggle('returned', item.review_status === 'returned');
  const src = item.thumb_url ?? '';
  if (src && row.thumb.dataset.src !== src) {
    row.thumb.dataset.src = src;
    row.thumb.replaceChildren(el('img', { src, alt: '', loading: 'lazy' }));
  }
  const step = item.step && !TERMINAL.has(item.status) ? ` · ${N.step[item.step] ?? N.step._}` : '';
  row.status.replaceChildren(el('span', { class: `badge ${item.status}`,
    text: (N.asset_status[item.status] ?? N.asset_status._) + step }));
  row.review.replaceChildren(item.review_status
    ? el('span', { class: `badge ${item.review_status}`, text: N.review_status[item.review_status] ?? '' }) : '');
  reasonCell(row.reason, item);
  row.caption.save.textContent = item.review_status === 'returned' ? N.labels.fix_resubmit : N.labels.save;
  row.caption.replace.hidden = item.review_status !== 'returned' || item.replaced;
  if (item.replaces_id) row.caption.title.dataset.replaces = item.replaces_id;
  if (item.review_status === 'returned' && !row.caption.details.dataset.opened) {
    row.caption.details.open = true; // a returned file invites its fix
    row.caption.details.dataset.opened = '1';
  }
  return row.tr;
}

function render(items) {
  const body = table.querySelector('tbody');
  // Newest first; rows are kept (not rebuilt) so a caption being typed is never lost to a refresh.
  const replaced = new Set(items.map((i) => i.replaces_id).filter(Boolean));
  items.forEach((i) => { i.replaced = replaced.has(i.asset_id); });
  const ordered = [...items].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const trs = ordered.map(update);
  if (trs.some((tr, i) => body.children[i] !== tr) || body.children.length !== trs.length) body.replaceChildren(...trs);
  table.classList.toggle('empty', !items.length);
  return items.every((item) => TERMINAL.has(item.status));
}

let timer = null;

async function poll() {
  clearTimeout(timer);
  const { ok, data } = await api(`/api/v1/submissions/${table.dataset.submissionId}/review`);
  const settled = ok ? render(data.items) : false;
  timer = setTimeout(poll, settled ? 10000 : 2000); // one timer only: an upload event restarts it
}

if (table) {
  window.addEventListener('mediadesk:uploaded', () => poll());
  poll();
}
