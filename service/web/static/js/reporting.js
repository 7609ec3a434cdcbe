// A report's document upload box: posts the chosen file (multipart) to /api/v1/reports/{id}/documents with the
// session's CSRF token, then reloads the page so the document list shows it; a refusal shows its reason.
import { csrfToken } from './csrf.js';

const form = document.getElementById('document-upload');
if (form) {
  const error = document.getElementById('document-error');
  const zh = document.body.dataset.lang !== 'en';
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const input = form.querySelector('input[type=file]');
    if (!input.files.length) return;
    const body = new FormData();
    body.append('file', input.files[0]);
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const response = await fetch(`/api/v1/reports/${form.dataset.reportId}/documents`, {
        method: 'POST', body, credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrfToken(), Accept: 'application/json' },
      });
      if (response.ok) { window.location.reload(); return; }
      let detail = '';
      try { detail = (await response.json()).detail ?? ''; } catch { detail = ''; }
      const [zhText, enText] = detail.split(' / ');
      error.textContent = (zh ? zhText : (enText || zhText)) || (zh ? '上传失败，请稍后重试' : 'Upload failed; try again later');
    } catch {
      error.textContent = zh ? '网络中断，请重试' : 'Network error; try again';
    } finally {
      button.disabled = false;
    }
  });
}
