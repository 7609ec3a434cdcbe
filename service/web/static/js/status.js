// Per-asset status of a submission, refreshed without reload: processing step, thumbnail, reasons and advice.
import { api, el } from './csrf.js';

const table = document.getElementById('asset-status');
const zh = document.body.dataset.lang !== 'en';
const T = (a, b) => (zh ? a : b);
const STATUS = {
  uploading: T('上传中', 'uploading'), stored: T('已接收', 'received'), processing: T('处理中', 'processing'),
  ready: T('处理完成', 'ready'), rejected_invalid: T('文件不合格', 'rejected (invalid file)'),
  failed: T('处理失败', 'failed'),
};
const REVIEW = {
  pending: T('待审核', 'awaiting review'), approved: T('已采用', 'approved'), rejected: T('未采用', 'rejected'),
  featured: T('精选', 'featured'), returned: T('退回补充', 'returned'),
};
const TERMINAL = new Set(['ready', 'rejected_invalid', 'failed']);

function reasonCell(item) {
  const cell = el('td', { class: 'reason' });
  if (item.reason) {
    cell.append(el('div', { class: 'error', text: item.reason.detail }));
    if (item.reason.advice) cell.append(el('div', { class: 'muted', text: item.reason.advice }));
  }
  if (item.review_reason) {
    const r = item.review_reason;
    cell.append(el('div', { class: 'error', text: zh ? r.zh : r.en }));
    if (r.text) cell.append(el('div', { text: `${T('编辑说明', 'Editor')}：${r.text}` }));
    if (r.advice) cell.append(el('div', { class: 'muted', text: r.advice }));
  }
  return cell;
}

function render(items) {
  const body = table.querySelector('tbody');
  body.replaceChildren(...items.map((item) => {
    const thumb = item.thumb_url ? el('img', { src: item.thumb_url, alt: '', loading: 'lazy' }) : '';
    const step = item.step && !TERMINAL.has(item.status) ? ` · ${item.step}` : '';
    return el('tr', { 'data-asset-id': item.asset_id, 'data-status': item.status,
      'data-review-status': item.review_status ?? '' },
      el('td', {}, thumb),
      el('td', { text: item.filename }),
      el('td', {}, el('span', { class: `badge ${item.status}`, text: (STATUS[item.status] ?? item.status) + step })),
      el('td', {}, item.review_status
        ? el('span', { class: `badge ${item.review_status}`, text: REVIEW[item.review_status] }) : ''),
      reasonCell(item));
  }));
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
