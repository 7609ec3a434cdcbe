// Drag-and-drop uploads with tus (resumable across reloads via tus-js-client's fingerprint in localStorage),
// several files in parallel, per-file progress, pause/resume, and duplicate files skipped before sending.
// Files are hashed slice by slice (sha256.js), never read whole into memory; past HASH_LIMIT the server hashes alone.
// Refusals are the server's own words (problem+json), kept per submission so they survive a reload.
import { api, csrfToken, el } from './csrf.js';
import { sha256File } from './sha256.js';

const zone = document.getElementById('dropzone');
const PARALLEL = 3;
const HASH_LIMIT = 1024 * 1024 * 1024;
const zh = document.body.dataset.lang !== 'en';
const T = (a, b) => (zh ? a : b);
const one = (text) => {
  const [first, second] = String(text ?? '').split(' / ');
  return zh ? first : (second ?? first);
};

if (zone && window.tus) {
  const submissionId = zone.dataset.submissionId;
  const list = document.querySelector('#upload-list tbody');
  const input = document.getElementById('file-input');
  const waiting = [];
  let running = 0;

  const REFUSED_KEY = `mediadesk.refused.${submissionId}`;
  const refused = () => JSON.parse(localStorage.getItem(REFUSED_KEY) ?? '[]');

  function remember(name, detail) {
    const kept = refused().filter((r) => r.name !== name).slice(-49);
    kept.push({ name, detail, at: Date.now() });
    localStorage.setItem(REFUSED_KEY, JSON.stringify(kept));
  }

  function forget(name) {
    localStorage.setItem(REFUSED_KEY, JSON.stringify(refused().filter((r) => r.name !== name)));
  }

  async function sha256(file, ui) {
    if (file.size > HASH_LIMIT) return null;
    return sha256File(file, 4 * 1024 * 1024, (done, total) => {
      ui.status.textContent = `${T('计算校验值', 'hashing')} ${Math.floor((done / total) * 100)}%`;
    });
  }

  function row(file) {
    const status = el('td', { class: 'upload-status', text: T('排队中', 'queued') });
    const bar = el('progress', { max: '100', value: '0' });
    const toggle = el('button', { type: 'button', class: 'pause', text: T('暂停', 'Pause') });
    toggle.hidden = true;
    const tr = el('tr', { 'data-filename': file.name }, el('td', { class: 'name', text: file.name }),
      el('td', {}, bar), status, el('td', {}, toggle));
    list.append(tr);
    return { tr, status, bar, toggle };
  }

  function problemText(error) {
    try {
      const body = JSON.parse(error.originalResponse?.getBody() ?? '');
      if (body?.detail) return body.detail;
    } catch { /* not a problem+json body */ }
    return null;
  }

  // ``detail`` may be the server's "中文 / English": shown in the page's language, remembered whole.
  function fail(ui, file, detail) {
    ui.status.textContent = one(detail);
    ui.status.classList.add('error');
    ui.tr.classList.add('failed');
    ui.toggle.remove(); // a failed row keeps no pause/resume control
    ui.bar.remove();
    remember(file.name, detail);
  }

  async function send(item) {
    const { file, ui } = item;
    ui.status.textContent = T('计算校验值…', 'hashing…');
    const digest = await sha256(file, ui);
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
        async onSuccess() {
          forget(file.name);
          if (item.replaces && ui.tr.dataset.assetId) {
            // The new file replaces a returned one: both audit logs say so, the history stays with the new file.
            const linked = await api(`/api/v1/assets/${ui.tr.dataset.assetId}/replaces`,
              { method: 'PUT', body: { replaces: item.replaces } });
            if (!linked.ok) { fail(ui, file, linked.data?.detail ?? ''); resolve(); return; }
          }
          ui.bar.value = 100;
          ui.status.textContent = T('上传完成，正在处理', 'uploaded, processing');
          ui.toggle.hidden = true;
          window.dispatchEvent(new CustomEvent('mediadesk:uploaded'));
          resolve();
        },
        onError(error) {
          fail(ui, file, problemText(error) ?? '网络中断，上传未完成：重新选择该文件即可从断点继续 / '
            + 'Connection lost: choose the same file again to resume');
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
      send(item).catch((error) => fail(item.ui, item.file, String(error?.message ?? error)))
        .finally(() => { running -= 1; pump(); });
    }
  }

  function add(files) {
    for (const file of files) {
      list.querySelectorAll('tr.refused').forEach((tr) => { if (tr.dataset.filename === file.name) tr.remove(); });
      waiting.push({ file, ui: row(file) });
    }
    pump();
  }

  // 「上传替换文件」 on a returned file's row (status.js) sends its file through the same queue.
  window.addEventListener('mediadesk:replace', (event) => {
    const { file, replaces } = event.detail;
    waiting.push({ file, ui: row(file), replaces });
    pump();
  });

  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    add(event.dataTransfer.files);
  });
  zone.addEventListener('click', (event) => { if (event.target !== input) input.click(); });
  input.addEventListener('change', () => { add(input.files); input.value = ''; });

  // Files the server refused before they became assets: shown again after a reload, until sent successfully.
  for (const r of refused()) {
    list.append(el('tr', { 'data-filename': r.name, class: 'failed refused' }, el('td', { class: 'name', text: r.name }),
      el('td'), el('td', { class: 'upload-status error', text: one(r.detail) }), el('td')));
  }

  // Uploads interrupted by a reload or a closed tab: tell the user to drop the same files again to continue.
  window.tus.defaultOptions?.urlStorage?.findAllUploads?.().then((previous) => {
    if (previous?.length) {
      zone.prepend(el('p', { class: 'flash', text: T(
        `有 ${previous.length} 个文件上次未传完：重新拖入同一文件即可从断点继续。`,
        `${previous.length} file(s) were interrupted: drop the same files again to resume.`) }));
    }
  });
}
