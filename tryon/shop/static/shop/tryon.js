// The try-on panel: sends the picks, follows the job's status JSON (step k of n, then done) and shows the
// result with a download link, or a failure in plain words with a retry button. Without JS the form posts
// and the try-on page shows the same panel.
"use strict";
(function () {
  const POLL_MS = 700;
  const FINISHED = ["succeeded", "failed", "cancelled"];
  const OFFLINE = "We could not reach the shop. Check your connection and try again.";

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // By the job's failure code, never its message: the message is the merchant's, in the admin.
  function explain(words, status, failureCode) {
    if (status === "cancelled" || failureCode === "cancelled") return words.cancelled;
    return `${words.failed} ${words.hints[failureCode] || words.generic}`;
  }

  function panelOf(root) {
    const panel = root.querySelector("[data-tryon-panel]");
    const words = JSON.parse(document.getElementById(root.dataset.explanations).textContent);
    const part = (name) => panel.querySelector(`[data-${name}]`);
    const [progress, bar, state, failure, failureText, retry, result] = [
      "progress", "bar", "state", "failure", "failure-text", "retry", "result",
    ].map(part);

    function images(sources) {
      result.replaceChildren(
        ...sources.map((src) => {
          const figure = document.createElement("figure");
          figure.innerHTML = '<img alt="Your try-on"><figcaption><a download>Download image</a></figcaption>';
          figure.querySelector("img").src = src;
          figure.querySelector("a").href = src;
          return figure;
        })
      );
    }

    // The garments warped onto the person, shown until the render replaces it; set once, so it never flickers
    // (a signed link's query changes as it is signed again: the file's path is what says it is the same draft).
    const path = (src) => src.split("?")[0];
    function draft(src) {
      const shown = result.querySelector("[data-draft]");
      if (shown && path(shown.getAttribute("src")) === path(src)) return;
      const figure = document.createElement("figure");
      figure.className = "tryon-draft";
      figure.innerHTML =
        '<img data-draft alt="Draft of your try-on: your garment on the model">' +
        "<figcaption>Draft: your garment on the model. Refining the details…</figcaption>";
      figure.querySelector("img").src = src;
      result.replaceChildren(figure);
    }

    return {
      busy(text) {
        panel.hidden = progress.hidden = false;
        failure.hidden = true;
        bar.removeAttribute("value"); // indeterminate until the worker reports a step
        state.textContent = text;
        images([]);
      },
      fail(text, canRetry) {
        panel.hidden = false;
        progress.hidden = true;
        failure.hidden = false;
        failureText.textContent = text;
        if (retry) retry.hidden = !canRetry;
        state.textContent = "";
      },
      show(status) {
        panel.hidden = false;
        if (status.status === "failed" || status.status === "cancelled") {
          return this.fail(explain(words, status.status, status.failure_code), true);
        }
        progress.hidden = false;
        failure.hidden = true;
        if (status.draft && status.status !== "succeeded") draft(status.draft);
        if (status.status === "queued") {
          bar.removeAttribute("value");
          state.textContent = "Waiting for a free renderer…";
        } else if (status.status === "running") {
          bar.value = status.progress;
          state.textContent = `Rendering: step ${status.steps_done} of ${status.steps_total}`;
        } else {
          bar.value = 1;
          state.textContent = status.reused ? "Done: you tried these picks before, so here it is at once." : "Done.";
          images(status.images);
        }
      },
    };
  }

  async function follow(panel, status, statusUrl, current = () => true) {
    let misses = 0;
    while (current()) {
      panel.show(status);
      if (FINISHED.includes(status.status)) return;
      await sleep(POLL_MS);
      try {
        const response = await fetch(statusUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(String(response.status));
        status = await response.json();
        misses = 0;
      } catch (error) {
        if (++misses >= 10) return panel.fail(OFFLINE, true);
      }
    }
  }

  function productPage(form) {
    const panel = panelOf(form);
    const button = form.querySelector("[data-tryon-button]");
    let latest = 0; // a new try-on replaces the one the panel was following

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const mine = ++latest;
      const current = () => mine === latest;
      button.disabled = true; // only while the picks are on their way
      panel.busy("Sending your picks…");
      form.querySelector("[data-tryon-panel]").scrollIntoView({ block: "nearest", behavior: "smooth" });
      try {
        const response = await fetch(form.action || window.location.href, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const body = await response.json().catch(() => ({}));
        button.disabled = false;
        if (response.ok) await follow(panel, body, body.status_url, current);
        else panel.fail(body.error || "Sorry, something went wrong. Please try again.", response.status >= 500);
      } catch (error) {
        button.disabled = false;
        if (current()) panel.fail(OFFLINE, true);
      }
    });
  }

  function tryOnPage(root) {
    if (!FINISHED.includes(root.dataset.status)) {
      const panel = panelOf(root);
      fetch(root.dataset.follow, { headers: { Accept: "application/json" } })
        .then((response) => response.json())
        .then((status) => follow(panel, status, root.dataset.follow))
        .catch(() => panel.fail(OFFLINE, false));
    }
  }

  document.querySelectorAll("#tryon-form").forEach(productPage);
  document.querySelectorAll("[data-follow]").forEach(tryOnPage);
})();
