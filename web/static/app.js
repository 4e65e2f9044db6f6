// Small behaviours the server-rendered pages need; no inline scripts (CSP: script-src 'self').

// Every htmx request carries the CSRF token of the page currently shown. The token sits inside
// <body> because boosted navigation swaps the body but keeps <head> and the body's attributes.
document.addEventListener('htmx:configRequest', (event) => {
  const holder = document.getElementById('csrf-token');
  if (holder) event.detail.headers['X-CSRF-Token'] = holder.dataset.token;
});

// "Select all" checkbox of the data table.
document.addEventListener('change', (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.classList.contains('dt-select-all')) return;
  for (const row of document.querySelectorAll(`input[name="ids"][form="${box.dataset.form}"]`)) {
    row.checked = box.checked;
  }
});

// Durations that keep counting (time in state, time on a call): elements with data-since.
const pad = (n) => String(n).padStart(2, '0');
function showSince() {
  for (const el of document.querySelectorAll('[data-since]')) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(el.dataset.since)) / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    el.textContent = h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
  }
}
setInterval(showSince, 1000);

// Closing or leaving the desk during a call asks first (会话关闭二次确认).
window.addEventListener('beforeunload', (event) => {
  const panel = document.querySelector('.call-panel[data-phase="talking"]');
  if (panel && document.querySelector('#desk[data-confirm-close="true"]')) {
    event.preventDefault();
    event.returnValue = '';
  }
});

// Buttons that ask first (delete, batch actions, hang up): data-confirm on the submit button.
// Listening in the capture phase runs before htmx's own submit handling of boosted forms.
document.addEventListener(
  'submit',
  (event) => {
    const question = event.submitter?.dataset?.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
