// Paints each thumbnail's ThumbHash on a canvas behind it until the thumbnail has loaded.
// A canvas rather than a data: URL, so the page's img-src stays 'self'.
import { thumbHashToRGBA } from "/s-assets/thumbhash.js";

function paint(img) {
  const bytes = Uint8Array.from(atob(img.dataset.thumbhash), (c) => c.charCodeAt(0));
  const { w, h, rgba } = thumbHashToRGBA(bytes);
  const canvas = document.createElement("canvas");
  canvas.className = "placeholder";
  canvas.width = w;
  canvas.height = h;
  canvas.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer), w, h), 0, 0);
  img.before(canvas);
  img.addEventListener("load", () => canvas.remove(), { once: true });
}

for (const img of document.querySelectorAll("img[data-thumbhash]")) {
  if (!(img.complete && img.naturalWidth > 0)) paint(img);
}
