// The console works without this file; it only adds conveniences.
document.addEventListener("DOMContentLoaded", () => {
  // the menu is a closed <details> on a phone; on a wide screen it is simply shown
  const menu = document.querySelector("details.menu");
  if (menu && window.matchMedia("(min-width: 800px)").matches) menu.open = true;
  // "select all" boxes: <input type=checkbox data-select-all="name">
  document.querySelectorAll("[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      document.querySelectorAll(`input[type=checkbox][name="${box.dataset.selectAll}"]`)
        .forEach((other) => { other.checked = box.checked; });
    });
  });
  // buttons that change something for many people ask first: <button data-confirm="...">
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
  // a print button: <button data-print>
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
});
