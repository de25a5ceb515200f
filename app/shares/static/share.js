// The image viewer of the share page: previous/next over the page's images, arrows and Escape.
// Without JavaScript each thumbnail links to its large version, so the page works without it.
"use strict";
(function () {
  const links = Array.from(document.querySelectorAll("a[data-viewer]"));
  if (!links.length) return;
  const viewer = document.createElement("div");
  viewer.className = "viewer";
  viewer.hidden = true;
  viewer.setAttribute("role", "dialog");
  viewer.setAttribute("aria-modal", "true");
  const image = document.createElement("img");
  const bar = document.createElement("div");
  bar.className = "bar";
  const previous = button("←", "Previous");
  const next = button("→", "Next");
  const close = button("✕", "Close");
  const caption = document.createElement("span");
  const download = document.createElement("a");
  download.textContent = "Download";
  download.setAttribute("download", "");
  bar.append(previous, caption, download, next, close);
  viewer.append(image, bar);
  document.body.append(viewer);
  let current = 0;

  function button(text, label) {
    const made = document.createElement("button");
    made.type = "button";
    made.textContent = text;
    made.setAttribute("aria-label", label);
    return made;
  }

  function show(index) {
    current = (index + links.length) % links.length;
    const link = links[current];
    image.src = link.href;
    image.alt = link.dataset.name || "";
    caption.textContent = link.dataset.name || "";
    if (link.dataset.download) {
      download.href = link.dataset.download;
      download.hidden = false;
    } else {
      download.hidden = true;
    }
    viewer.hidden = false;
  }

  links.forEach((link, index) => link.addEventListener("click", (event) => {
    event.preventDefault();
    show(index);
  }));
  previous.addEventListener("click", () => show(current - 1));
  next.addEventListener("click", () => show(current + 1));
  close.addEventListener("click", () => { viewer.hidden = true; });
  document.addEventListener("keydown", (event) => {
    if (viewer.hidden) return;
    if (event.key === "ArrowLeft") show(current - 1);
    else if (event.key === "ArrowRight") show(current + 1);
    else if (event.key === "Escape") viewer.hidden = true;
  });
})();
