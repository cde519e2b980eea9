// The "Render previews" page: "Select all" per picker, and how many renders the ticks add up to.
"use strict";
(function () {
  const form = document.querySelector(".render-previews-form");
  const count = form.querySelector(".render-count");
  const pickers = [...form.querySelectorAll("[data-picker]")];
  const samples = form.querySelector("select[name=samples]");

  function update() {
    const ticked = pickers.map((picker) => picker.querySelectorAll("input:checked").length);
    const total = ticked.reduce((product, n) => product * n, Number(count.dataset.items));
    const each = Number(samples.value);
    count.textContent = total
      ? `${count.dataset.items} × ${ticked.join(" × ")} = ${total} renders` +
        (each > 1 ? `, ${total * each} images` : "") +
        (total * each > Number(count.dataset.max) ? ` (more than ${count.dataset.max} images: pick fewer)` : "")
      : "Tick at least one fashion model, pose and scene.";
  }

  pickers.forEach((picker) =>
    picker.querySelector("[data-select-all]").addEventListener("click", () => {
      const boxes = [...picker.querySelectorAll("input[type=checkbox]")];
      const all = boxes.every((box) => box.checked);
      boxes.forEach((box) => (box.checked = !all));
      update();
    })
  );
  form.addEventListener("change", update);
  update();
})();
