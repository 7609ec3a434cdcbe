// Curation: select all in a picture grid, show how many are picked, confirm before removing an item.
for (const form of document.querySelectorAll('form.confirm')) {
  form.addEventListener('submit', (event) => { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
}
for (const all of document.querySelectorAll('.pick-all')) {
  const grid = all.closest('form').querySelector('.picker');
  all.addEventListener('change', () => {
    grid.querySelectorAll('input[type=checkbox]').forEach((box) => { box.checked = all.checked; });
    grid.dispatchEvent(new Event('change'));
  });
}
const counter = document.getElementById('picked-count');
for (const grid of document.querySelectorAll('.picker')) {
  const update = () => {
    grid.querySelectorAll('.pickable').forEach((tile) => {
      tile.classList.toggle('picked', tile.querySelector('input').checked);
    });
    if (counter) counter.textContent = `(${grid.querySelectorAll('input:checked').length})`;
  };
  grid.addEventListener('change', update);
  update();
}
