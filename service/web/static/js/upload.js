// Drag-and-drop uploads with tus (resumable across reloads via tus-js-client's fingerprint in localStorage),
// several files in parallel, per-file progress, pause/resume, and duplicate files skipped before sending.
import { api, csrfToken, el } from './csrf.js';

const zone = document.getElementById('dropzone');
const PARALLEL = 3;
const HASH_LIMIT = 512 * 1024 * 1024; // crypto.subtle hashes whole buffers; larger files are hashed by the server
const zh = document.body.dataset.lang !== 'en';
const T = (a, b) => (zh ? a : b);

if (zone && window.tus) {
  const submissionId = zone.dataset.submissionId;
  const list = document.querySelector('#upload-list tbody');
  const input = document.getElementById('file-input');
  const waiting = [];
  let running = 0;

  const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');

  async function sha256(file) {
    if (file.size > HASH_LIMIT || !crypto.subtle) return null;
    return hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  }

  function row(file) {
    const status = el('td', { class: 'upload-status', text: T('排队中', 'queued') });
    const bar = el('progress', { max: '100', value: '0' });
    const toggle = el('button', { type: 'button', class: 'pause', text: T('暂停', 'Pause') });
    toggle.hidden = true;
    const tr = el('tr', { 'data-filename': file.name }, el('td', { text: file.name }), el('td', {}, bar), status,
      el('td', {}, toggle));
    list.append(tr);
    return { tr, status, bar, toggle };
  }

  function problemText(error) {
    try {
      const body = JSON.parse(error.originalResponse?.getBody() ?? '');
      if (body?.detail) return body.detail;
    } catch { /* not a problem+json body */ }
    return T('网络中断，正在重试…', 'connection lost, retrying…');
  }

  async function send(item) {
    const { file, ui } = item;
    ui.status.textContent = T('计算校验值…', 'hashing…');
    const digest = await sha256(file);
    if (digest) {
      const found = await api('/api/v1/uploads/lookup', { method: 'POST', body: { sha256: [digest] } });
      if (found.ok && found.data?.found?.[digest]) {
        ui.status.textContent = T('重复文件：本单位已上传过，已跳过', 'duplicate: already uploaded, skipped');
        ui.tr.classList.add('duplicate');
        return;
      }
    }
    const metadata = { submission_id: submissionId, filename: file.name, filetype: file.type || '' };
    if (digest) metadata.sha256 = digest;
    await new Promise((resolve) => {
      const upload = new window.tus.Upload(file, {
        endpoint: '/api/v1/uploads',
        chunkSize: 8 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
        metadata,
        headers: { 'X-CSRF-Token': csrfToken() },
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onProgress(sent, total) {
          const pct = total ? Math.floor((sent / total) * 100) : 0;
          ui.bar.value = pct;
          ui.status.textContent = `${pct}%`;
        },
        onAfterResponse(_request, response) {
          const assetId = response.getHeader('X-Asset-Id');
          if (assetId) ui.tr.dataset.assetId = assetId;
        },
        onSuccess() {
          ui.bar.value = 100;
          ui.status.textContent = T('上传完成，正在处理', 'uploaded, processing');
          ui.toggle.hidden = true;
          window.dispatchEvent(new CustomEvent('mediadesk:uploaded'));
          resolve();
        },
        onError(error) {
          ui.status.textContent = problemText(error);
          ui.tr.classList.add('failed');
          resolve();
        },
      });
      let paused = false;
      ui.toggle.hidden = false;
      ui.toggle.addEventListener('click', () => {
        paused = !paused;
        if (paused) { upload.abort(); ui.status.textContent = T('已暂停', 'paused'); }
        else upload.start();
        ui.toggle.textContent = paused ? T('继续', 'Resume') : T('暂停', 'Pause');
      });
      upload.findPreviousUploads().then((previous) => {
        if (previous.length) {
          upload.resumeFromPreviousUpload(previous[0]);
          ui.status.textContent = T('从断点继续…', 'resuming…');
        }
        upload.start();
      });
    });
  }

  function pump() {
    while (running < PARALLEL && waiting.length) {
      const item = waiting.shift();
      running += 1;
      send(item).catch((error) => { item.ui.status.textContent = String(error); })
        .finally(() => { running -= 1; pump(); });
    }
  }

  function add(files) {
    for (const file of files) waiting.push({ file, ui: row(file) });
    pump();
  }

  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    add(event.dataTransfer.files);
  });
  zone.addEventListener('click', (event) => { if (event.target !== input) input.click(); });
  input.addEventListener('change', () => { add(input.files); input.value = ''; });

  // Uploads interrupted by a reload or a closed tab: tell the user to drop the same files again to continue.
  window.tus.defaultOptions?.urlStorage?.findAllUploads?.().then((previous) => {
    if (previous?.length) {
      zone.prepend(el('p', { class: 'flash', text: T(
        `有 ${previous.length} 个文件上次未传完：重新拖入同一文件即可从断点继续。`,
        `${previous.length} file(s) were interrupted: drop the same files again to resume.`) }));
    }
  });
}
