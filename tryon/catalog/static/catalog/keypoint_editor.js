// Pose keypoint editor: the textarea holds the truth ([[x, y, visible], ...] in OpenPose-18 order, x and y
// in 0..1); the canvas draws it in OpenPose colours and lets a merchant drag joints or nudge them by keyboard.
"use strict";
(function () {
  const SMALL_STEP = 0.005;
  const BIG_STEP = 0.025;
  const GRAB_RADIUS = 16; // CSS pixels
  const HELP = "Drag a joint, or move the chosen joint with the arrow keys (Shift for bigger steps).";

  // prompts.poses.mirror_pose: x -> 1 - x, and every right_* keypoint swapped with its left_*.
  function mirror(points, names) {
    const index = Object.fromEntries(names.map((name, i) => [name, i]));
    const opposite = (name) =>
      name.startsWith("right_") ? "left_" + name.slice(6) : name.startsWith("left_") ? "right_" + name.slice(5) : name;
    return names.map((name) => {
      const [x, y, visible] = points[index[opposite(name)]];
      return [1 - x, y, visible];
    });
  }

  function round(value) {
    return Math.round(Math.min(1, Math.max(0, value)) * 10000) / 10000;
  }

  function setUp(root) {
    const config = JSON.parse(document.getElementById(root.dataset.config).textContent);
    const textarea = root.querySelector("textarea");
    const canvas = root.querySelector("[data-kpe-canvas]");
    const jointSelect = root.querySelector("[data-kpe-joint]");
    const visibleBox = root.querySelector("[data-kpe-visible]");
    const status = root.querySelector("[data-kpe-status]");
    const context = canvas.getContext("2d");
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.width;
    const height = canvas.height;
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    context.scale(ratio, ratio);

    let points = null;
    let selected = 1; // the neck: central, always a good start
    let dragging = false;
    let background = null; // a photo under the skeleton, letterboxed like prompts.letterbox.fit
    if (config.background) {
      const image = new Image();
      image.addEventListener("load", () => {
        background = image;
        draw();
      });
      image.src = config.background;
    }

    function read() {
      if (config.emptyText && ["", "null"].includes(textarea.value.trim())) { // Django shows no JSON as null
        points = null;
        status.textContent = config.emptyText;
        return draw();
      }
      try {
        const parsed = JSON.parse(textarea.value);
        if (!Array.isArray(parsed) || parsed.length !== config.joints.length) throw new Error("length");
        points = parsed.map(([x, y, visible]) => [Number(x), Number(y), Boolean(visible)]);
        status.textContent = "";
      } catch (error) {
        points = null;
        status.textContent = `The JSON below is not ${config.joints.length} points of [x, y, visible]; fix it or pick a library pose.`;
      }
      draw();
    }

    function write() {
      const rows = points.map(([x, y, visible]) => `  [${round(x)}, ${round(y)}, ${visible}]`);
      textarea.value = `[\n${rows.join(",\n")}\n]`;
      status.textContent = ""; // the points are whole again
      textarea.dispatchEvent(new Event("change", { bubbles: true }));
      draw();
    }

    function colour(i, scale) {
      const [r, g, b] = config.colours[i].map((c) => Math.floor(c * scale));
      return `rgb(${r}, ${g}, ${b})`;
    }

    function drawBackground() {
      const scale = Math.min(width / background.naturalWidth, height / background.naturalHeight);
      const [w, h] = [background.naturalWidth * scale, background.naturalHeight * scale];
      context.drawImage(background, (width - w) / 2, (height - h) / 2, w, h);
      context.fillStyle = "rgba(0, 0, 0, 0.35)"; // dimmed, so the skeleton's colours stand out
      context.fillRect(0, 0, width, height);
    }

    function draw() {
      context.fillStyle = "#000";
      context.fillRect(0, 0, width, height);
      if (background) drawBackground();
      if (!points) return;
      context.lineCap = "round";
      context.lineWidth = 6;
      config.limbs.forEach(([a, b], i) => {
        if (!points[a][2] || !points[b][2]) return;
        context.strokeStyle = colour(i, 0.6);
        context.beginPath();
        context.moveTo(points[a][0] * width, points[a][1] * height);
        context.lineTo(points[b][0] * width, points[b][1] * height);
        context.stroke();
      });
      points.forEach(([x, y, visible], i) => {
        if (!visible) return;
        context.fillStyle = colour(i, 1);
        context.beginPath();
        context.arc(x * width, y * height, 5, 0, 2 * Math.PI);
        context.fill();
      });
      const [x, y, visible] = points[selected];
      if (visible) {
        context.strokeStyle = "#fff";
        context.lineWidth = 2;
        context.beginPath();
        context.arc(x * width, y * height, 9, 0, 2 * Math.PI);
        context.stroke();
      }
      jointSelect.value = String(selected);
      visibleBox.checked = visible;
      const where = visible ? `at ${Math.round(x * 100)}% across, ${Math.round(y * 100)}% down` : "hidden";
      canvas.setAttribute("aria-label", `Pose skeleton; ${jointSelect.selectedOptions[0].text} ${where}. ${HELP}`);
    }

    function pointer(event) {
      const box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
    }

    function nearest([px, py]) {
      let best = -1;
      let bestDistance = GRAB_RADIUS;
      points.forEach(([x, y, visible], i) => {
        const distance = Math.hypot((x - px) * width, (y - py) * height);
        if (visible && distance <= bestDistance) [best, bestDistance] = [i, distance];
      });
      return best;
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (!points) return;
      const at = pointer(event);
      const hit = nearest(at);
      if (hit >= 0) selected = hit;
      else if (!points[selected][2]) points[selected] = [at[0], at[1], true]; // place a hidden joint
      else return draw();
      dragging = true;
      canvas.setPointerCapture(event.pointerId);
      event.preventDefault();
      write();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!dragging) return;
      const [x, y] = pointer(event);
      points[selected] = [round(x), round(y), true];
      write();
    });
    const stop = () => (dragging = false);
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);

    canvas.addEventListener("keydown", (event) => {
      const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (!points || !(event.key in moves) || !points[selected][2]) return;
      const step = event.shiftKey ? BIG_STEP : SMALL_STEP;
      const [dx, dy] = moves[event.key];
      const [x, y] = points[selected];
      points[selected] = [round(x + dx * step), round(y + dy * step), true];
      event.preventDefault();
      write();
    });

    jointSelect.addEventListener("change", () => {
      selected = Number(jointSelect.value);
      draw();
    });
    visibleBox.addEventListener("change", () => {
      if (!points) return;
      const [x, y] = points[selected];
      const placed = x > 0 || y > 0;
      points[selected] = visibleBox.checked ? [placed ? x : 0.5, placed ? y : 0.5, true] : [0, 0, false];
      write();
    });
    root.querySelector("[data-kpe-mirror]").addEventListener("click", () => {
      if (!points) return;
      points = mirror(points, config.joints);
      write();
    });
    root.querySelector("[data-kpe-library]").addEventListener("change", (event) => {
      const chosen = config.library[event.target.value];
      if (!chosen) return;
      points = chosen.map((point) => [...point]);
      write();
    });
    textarea.addEventListener("input", read);
    read();
    if (points) write(); // one joint per line from the start
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-keypoint-editor]").forEach(setUp));
})();
