// Small behaviours the server-rendered pages need; no inline scripts (CSP: script-src 'self').
document.addEventListener('change', (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.classList.contains('dt-select-all')) return;
  for (const row of document.querySelectorAll(`input[name="ids"][form="${box.dataset.form}"]`)) {
    row.checked = box.checked;
  }
});
