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
