// The batch page: polls the batch's progress JSON until every job has finished.
"use strict";
(function () {
  const root = document.getElementById("batch");
  const url = root.dataset.progressUrl;

  function render(progress) {
    document.getElementById("batch-bar").value = progress.progress;
    document.getElementById("batch-line").innerHTML =
      `<strong>${progress.finished} of ${progress.total}</strong> finished ` +
      `(${progress.succeeded} succeeded, ${progress.failed} failed, ${progress.cancelled} cancelled). ` +
      `<span id="batch-retried">${progress.retried} needed a quality retry.</span>`;
    progress.jobs.forEach((job) => {
      const row = root.querySelector(`[data-job="${job.id}"]`);
      if (!row) return;
      const status = row.querySelector("[data-status]");
      status.textContent = job.label;
      status.className = `job-status is-${job.status}`;
      row.querySelector("[data-steps]").textContent = job.steps;
      row.querySelector("[data-problem]").textContent = job.problem;
      const cell = row.querySelector("[data-image]");
      if (job.images.length && !cell.querySelector("img")) {
        job.images.forEach((url, index) => {
          const image = document.createElement("img");
          image.src = url;
          image.alt = `Result ${index + 1} of try-on #${job.id}`;
          cell.append(image);
        });
      }
    });
    document.getElementById("batch-done").hidden = progress.finished !== progress.total;
    return progress.finished === progress.total;
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok && render(await response.json())) return;
    } catch (error) {
      // A dropped connection: try again on the next tick.
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
