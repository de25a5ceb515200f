// Drives Debian's Chromium (headless, via playwright-core) through the share page and prints what
// it saw as JSON: images in the grid, the viewer, a download, a locked link unlocked through its
// form, and every request the page made (all must stay on the machine).
// Usage: node check.mjs <base-url> <open-token> <locked-token> <password> <profile-dir> <shots-dir>
import { chromium } from "playwright-core";

const [base, openToken, lockedToken, password, profile, shots] = process.argv.slice(2);
const requests = [];
const problems = [];
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  acceptDownloads: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
context.on("request", (request) => requests.push(request.url()));
const result = {};
try {
  const page = await context.newPage();
  page.on("console", (message) => { if (message.type() === "error") problems.push(message.text()); });
  page.on("pageerror", (error) => problems.push(String(error)));

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/s/${openToken}`, { waitUntil: "networkidle" });
  result.images = await page.locator("#grid img").count();
  result.loaded = await page.$$eval("#grid img", (all) => all.filter((i) => i.complete && i.naturalWidth > 0).length);
  result.columnsPhone = await page.$eval("#grid", (g) => getComputedStyle(g).gridTemplateColumns.split(" ").length);
  await page.screenshot({ path: `${shots}/shares-phone.png`, fullPage: true });

  await page.locator("a[data-viewer]").first().click();
  await page.waitForSelector(".viewer:not([hidden]) img");
  const first = await page.getAttribute(".viewer img", "src");
  await page.click(".viewer button[aria-label=Next]");
  const second = await page.getAttribute(".viewer img", "src");
  await page.keyboard.press("ArrowLeft");
  const back = await page.getAttribute(".viewer img", "src");
  await page.keyboard.press("Escape");
  result.viewer = { first, second, back, closed: await page.locator(".viewer").isHidden() };

  await page.setViewportSize({ width: 1280, height: 800 });
  result.columnsDesktop = await page.$eval("#grid", (g) => getComputedStyle(g).gridTemplateColumns.split(" ").length);
  await page.screenshot({ path: `${shots}/shares-desktop.png`, fullPage: true });

  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("a.download").first().click()]);
  await download.saveAs(`${profile}-download`);
  result.download = { name: download.suggestedFilename(), path: `${profile}-download` };

  // With the thumbnails held back, each tile shows its ThumbHash placeholder.
  const slow = await context.newPage();
  await slow.route(/\/thumbnail/, (route) => route.abort());
  slow.on("pageerror", (error) => problems.push(String(error)));
  await slow.goto(`${base}/s/${openToken}`, { waitUntil: "networkidle" });
  result.placeholders = await slow.$$eval("#grid canvas.placeholder", (all) => all.map((canvas) => {
    const [r, g, b, a] = canvas.getContext("2d").getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data;
    return { r, g, b, a };
  }));
  await slow.close();

  await page.goto(`${base}/s/${lockedToken}`);
  result.lockedImages = await page.locator("#grid img").count();
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(`${base}/s/${lockedToken}`), page.click("form.unlock button[type=submit]")]);
  await page.waitForLoadState("networkidle");
  result.unlockedImages = await page.locator("#grid img").count();
  result.unlockedLoaded = await page.$$eval("#grid img", (all) => all.filter((i) => i.complete && i.naturalWidth > 0).length);
} finally {
  result.requests = requests;
  result.problems = problems;
  console.log(JSON.stringify(result));
  await context.close();
}
