#!/usr/bin/env node
// Does any script planted in the data run in the built site? Opens every .html page under SITE_DIR in Debian's
// headless Chromium (never a downloaded browser) and reports each page where a planted payload ran.
//
//   node tests/browser/xss_check.mjs SITE_DIR
//
// The hostile extract and parameters plant payloads that call window.__pwned(ID) or alert(ID), e.g.
// <img src=x onerror="window.__pwned('la_name')">. The check defines window.__pwned before any page script, records
// every call and every dialog, and waits for images to fail and handlers to fire. Network requests are blocked.
// Prints one JSON summary; exit status 0 when nothing ran, 1 when a payload ran, 2 when the check could not run.

import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { chromium } from "playwright-core";

const SKIP_DIRS = new Set(["_static", "_sources", "_images", "node_modules"]);
const CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];

function pages(root, dir = root) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...pages(root, full));
    } else if (name.endsWith(".html")) {
      out.push(full);
    }
  }
  return out;
}

async function main() {
  const site = process.argv[2];
  if (!site) {
    console.error("usage: node xss_check.mjs SITE_DIR");
    process.exit(2);
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_ARGS });
  const ran = [];
  const checked = [];
  try {
    const context = await browser.newContext();
    await context.route(/^(https?|wss?):/, (route) => route.abort());
    await context.addInitScript(() => {
      window.__pwned = (id) => { document.documentElement.dataset.pwned = String(id); };
    });
    for (const file of pages(site)) {
      const page = await context.newPage();
      const rel = path.relative(site, file);
      page.on("dialog", async (dialog) => { ran.push({ page: rel, dialog: dialog.message() }); await dialog.dismiss(); });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      await page.waitForTimeout(150);
      const pwned = await page.evaluate(() => document.documentElement.dataset.pwned || null);
      if (pwned !== null) ran.push({ page: rel, payload: pwned });
      checked.push(rel);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ pages: checked.length, ran }, null, 1));
  process.exit(ran.length ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
