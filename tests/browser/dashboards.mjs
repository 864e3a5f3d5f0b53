// Loads each dashboard page in headless Chromium as a governor's browser would, and
// reports what a person would notice: requests that failed, console errors, charts that
// did not draw, download links that lead nowhere. Prints one JSON object per page on
// stdout; the assertions live in tests/tests/browser.rs, which starts the service.
//
//     SAFELAKE_TOKEN=<token> node dashboards.mjs <base-url> <screenshot-dir> <path>...
//
// It signs in first, as a person does: the sign-in form, with the token in
// $SAFELAKE_TOKEN; the pages then load with the cookie that sets.
//
// Chromium is Debian's (`/usr/bin/chromium`, or $CHROMIUM); playwright-core only drives
// it, so nothing is downloaded at run time.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, shots, ...paths] = process.argv.slice(2);
if (!base || !shots || paths.length === 0) {
  console.error("usage: node dashboards.mjs <base-url> <screenshot-dir> <path>...");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});

const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
try {
  await signIn(process.env.SAFELAKE_TOKEN || "");
  for (const path of paths) {
    console.log(JSON.stringify(await visit(path)));
  }
} finally {
  await browser.close();
}

async function signIn(token) {
  const page = await context.newPage();
  await page.goto(base + "/login");
  await page.fill("input[name=token]", token);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.click("button[type=submit]")]);
  await page.close();
}

async function visit(path) {
  const page = await context.newPage();
  const failed = [];
  const errors = [];
  const hosts = new Set();
  page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.url()}: HTTP ${r.status()}`);
  });
  page.on("request", (r) => hosts.add(new URL(r.url()).host));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));

  const response = await page.goto(base + path, { waitUntil: "networkidle" });
  // The SQL console: run its example query and count the rows it shows.
  let consoleRows = null;
  if (path === "/sql") {
    await page.click("#run");
    await page.waitForSelector("#result table, #result .error");
    consoleRows = await page.locator("#result table tbody tr").count();
  }
  // Tables that do not fit their container, with every "figures behind this chart"
  // opened, as the reader sees them on screen and as they print.
  const overflowing = async () =>
    page.evaluate(() => {
      for (const d of document.querySelectorAll("details")) d.open = true;
      const out = [];
      for (const table of document.querySelectorAll("table")) {
        const box = table.parentElement;
        const room = box.closest("main") || document.body;
        const cut = box.scrollWidth > box.clientWidth + 1 || table.getBoundingClientRect().right > room.getBoundingClientRect().right + 1;
        if (cut) out.push(table.closest("figure")?.querySelector("h3")?.textContent ?? "a table");
      }
      return out;
    });
  const overflow_screen = await overflowing();
  const seen = await page.evaluate(async () => {
    // A chart is there when its SVG has drawn marks and takes up room on the page; it
    // shows figures when its figures table has a number that is not withheld.
    const charts = [...document.querySelectorAll("figure .chart svg")].map((svg) => {
      const box = svg.getBoundingClientRect();
      const figure = svg.closest("figure");
      const numbers = [...figure.querySelectorAll("details.figures td.num")].map((td) => td.textContent.trim());
      return {
        label: svg.closest(".chart").getAttribute("aria-label"),
        width: Math.round(box.width),
        height: Math.round(box.height),
        marks: svg.querySelectorAll("rect, path, polyline, line, circle").length,
        texts: svg.querySelectorAll("text").length,
        empty: svg.textContent.includes("No figures to show"),
        shown: numbers.filter((n) => /^[0-9]/.test(n) && Number(n.replace(/,/g, "")) > 0).length,
      };
    });
    const images = [...document.images].map((img) => ({ src: img.src, drawn: img.complete && img.naturalWidth > 0 }));
    // Every download link must answer, with the type its name promises.
    const downloads = [];
    for (const a of document.querySelectorAll("a[download]")) {
      const r = await fetch(a.href);
      downloads.push({ name: a.textContent.trim(), href: a.getAttribute("href"), status: r.status, type: r.headers.get("content-type") });
    }
    return {
      title: document.title,
      h1: document.querySelector("h1")?.textContent ?? "",
      charts,
      images,
      downloads,
      tables: document.querySelectorAll("table").length,
      sections: document.querySelectorAll("section.section").length,
    };
  });
  const file = join(shots, path.replace(/^\/+/, "").replace(/[^a-z0-9]+/gi, "_") || "index") + ".png";
  await page.screenshot({ path: file, fullPage: true });
  await page.emulateMedia({ media: "print" });
  // A4 less its margins, at 96 px to the inch: 180 mm is 680 px.
  await page.setViewportSize({ width: 680, height: 900 });
  const overflow_print = await overflowing();
  const printed = file.replace(/\.png$/, ".print.png");
  await page.screenshot({ path: printed, fullPage: true });
  await page.close();
  return { path, status: response?.status() ?? 0, console_rows: consoleRows, failed, errors, hosts: [...hosts], screenshot: file, print_screenshot: printed, overflow_screen, overflow_print, ...seen };
}
