#!/usr/bin/env node
// Accessibility check of a built HTML site: axe-core in Debian's headless Chromium (never a downloaded browser).
//
//   node tests/browser/axe_check.mjs SITE_DIR [--json FILE] [--screenshots DIR]
//
// Opens every .html page under SITE_DIR as a file:// URL (theme assets under _static/ are not pages) in light and
// dark colour mode at 1280 px and 390 px wide, runs axe with the WCAG 2.0/2.1/2.2 A and AA tags, and prints one
// JSON summary on stdout. The theme's dialogs, which axe cannot see while they are closed, are opened and checked
// on one page per variant ("PAGE [search dialog open]", "PAGE [primary sidebar open]", ...), and so is a link under
// the pointer ("PAGE [link hovered]").
//
// The browser may not touch the network: any http(s)/ws request a page makes is blocked and reported under
// "external_requests". At 390 px a page that scrolls sideways is reported under "sideways_scroll_px". Exit status:
// 0 clean; 1 axe violations, external requests, sideways scrolling or a visible dialog toggle that opens nothing;
// 2 could not run.
//
// --json FILE also writes the summary to FILE; --screenshots DIR saves a full-page PNG of every check.
// Environment: CHROMIUM (default /usr/bin/chromium); AXE_CONCURRENCY (default 2) variants checked at once.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const AXE_VERSION = require("axe-core/package.json").version;

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const MODES = ["light", "dark"];
const WIDTHS = [1280, 390]; // 390 px: a common phone width (iPhone 12 to 15)
const PHONE = 600; // at or below this width no page may scroll sideways
const HEIGHT = 900;
const MAX_TARGETS = 3;
const SKIP_DIRS = new Set(["_static", "_sources", "_images", "node_modules"]);
const NOT_ORDINARY = /(^|\/)(search|genindex)\.html$/;
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

// The theme's dialogs come from its layout, so each is opened on the first ordinary page that has it. A visible
// toggle that opens nothing is reported under "dialogs_not_opened". From 992 px up sphinx-book-theme's primary
// toggle collapses the sidebar in place instead of opening a drawer, so it is tried only below that width.
const STATES = [
  { name: "search dialog open", dialog: "#pst-search-dialog", open: (page) => page.keyboard.press("Control+K") },
  { name: "primary sidebar open", dialog: "#pst-primary-sidebar-modal", toggle: "button.primary-toggle:visible",
    belowWidth: 992 },
  { name: "secondary sidebar open", dialog: "#pst-secondary-sidebar-modal",
    toggle: "button.secondary-toggle:visible" },
  // Not a dialog: the pointer on a link in the text, so the theme's hover colour is checked too.
  // Tried on each ordinary page in turn until one has such a link.
  { name: "link hovered", marker: 'class="bd-article"', hover: "article.bd-article a.reference:visible" },
];

function usage(message) {
  if (message) console.error(`axe_check: ${message}`);
  console.error("usage: node axe_check.mjs SITE_DIR [--json FILE] [--screenshots DIR]");
  process.exit(2);
}

function parseArgs(argv) {
  const args = { site: null, json: null, screenshots: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--json") args.json = argv[++i] ?? usage("--json needs a file");
    else if (argv[i] === "--screenshots") args.screenshots = argv[++i] ?? usage("--screenshots needs a folder");
    else if (argv[i] === "-h" || argv[i] === "--help") usage();
    else if (argv[i].startsWith("-")) usage(`unknown option ${argv[i]}`);
    else if (args.site === null) args.site = argv[i];
    else usage("only one SITE_DIR");
  }
  if (args.site === null) usage("no SITE_DIR given");
  return args;
}

function findPages(root, rel = "") {
  const pages = [];
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    const relPath = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(root, relPath)).isDirectory()) {
      if (!SKIP_DIRS.has(name) && !name.startsWith(".")) pages.push(...findPages(root, relPath));
    } else if (name.endsWith(".html")) {
      pages.push(relPath);
    }
  }
  return pages;
}

// A page that is only an instant <meta http-equiv="refresh"> (Jupyter Book's root index.html) is never shown to a
// reader; checking it would check the page it forwards to a second time.
function redirectTarget(file) {
  const html = readFileSync(file, "utf8");
  if (html.length > 2000 || /<body/i.test(html)) return null;
  const m = html.match(/<meta\s+http-equiv=["']?refresh["']?\s+content=["']\s*0\s*;\s*url=([^"']+)["']/i);
  return m ? m[1] : null;
}

async function runAxe(page) {
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  return page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    TAGS,
  );
}

async function load(page, url, mode) {
  await page.goto(url, { waitUntil: "load" });
  await page.evaluate(async (m) => {
    document.documentElement.dataset.mode = m;
    document.documentElement.dataset.theme = m;
    await document.fonts.ready;
  }, mode);
  // colours caught mid-transition (scroll-spy highlights, drawers sliding in) fail contrast at random: stop them
  await page.addStyleTag({ content: "*, *::before, *::after { transition: none !important; animation: none !important; }" });
  await page.waitForTimeout(500); // let the theme's scripts (tooltips, scroll-spy) settle
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  if (theme !== mode) throw new Error(`${url}: could not switch to ${mode} mode (data-theme=${theme})`);
}

// Opens one of the theme's dialogs (or hovers a link): "open", "n/a" (no such dialog or no way to open it here) or
// "failed".
async function openState(page, state, width) {
  if (state.hover) {
    const link = page.locator(state.hover).first();
    if ((await link.count()) === 0) return "n/a";
    await link.hover();
    await page.waitForTimeout(200);
    return (await link.evaluate((el) => el.matches(":hover"))) ? "open" : "failed";
  }
  if ((await page.locator(state.dialog).count()) === 0) return "n/a";
  if (state.toggle) {
    if (state.belowWidth && width >= state.belowWidth) return "n/a";
    const toggle = page.locator(state.toggle).first();
    if ((await toggle.count()) === 0) return "n/a";
    await toggle.click();
  } else {
    await state.open(page);
  }
  await page.waitForTimeout(800);
  const open = await page.evaluate((sel) => document.querySelector(sel)?.open === true, state.dialog);
  return open ? "open" : "failed";
}

class Results {
  constructor() {
    this.found = new Map(); // page -> rule -> {impact, help, variants, nodes, targets}
    this.incomplete = {};
    this.external = {};
    this.statesChecked = new Set();
    this.notOpened = new Set();
    this.sideways = {}; // "page @variant" -> pixels the page scrolls sideways on a phone
  }

  record(rel, variant, result) {
    for (const v of result.violations) {
      if (!this.found.has(rel)) this.found.set(rel, new Map());
      const rules = this.found.get(rel);
      if (!rules.has(v.id)) {
        rules.set(v.id, { impact: v.impact, help: v.help, variants: new Set(), nodes: 0, targets: new Set() });
      }
      const r = rules.get(v.id);
      r.variants.add(variant);
      r.nodes = Math.max(r.nodes, v.nodes.length);
      for (const n of v.nodes) r.targets.add(n.target.map(String).join(" "));
    }
    // "Needs review" (axe could not decide, e.g. a header cell half scrolled out of view): reported, not failed.
    for (const v of result.incomplete) {
      this.incomplete[v.id] ??= { nodes: 0, targets: new Set() };
      this.incomplete[v.id].nodes += v.nodes.length;
      for (const n of v.nodes) this.incomplete[v.id].targets.add(`${rel}: ${n.target.map(String).join(" ")}`);
    }
  }

  request(rel, url) {
    this.external[rel] ??= [];
    if (!this.external[rel].includes(url)) this.external[rel].push(url);
  }

  violations() {
    const out = {};
    const byRule = {};
    for (const [rel, rules] of [...this.found.entries()].sort()) {
      out[rel] = [...rules.entries()].sort().map(([id, r]) => {
        byRule[id] ??= { impact: r.impact, pages: 0, nodes: 0 };
        byRule[id].pages += 1;
        byRule[id].nodes += r.nodes;
        return { rule: id, impact: r.impact, help: r.help, nodes: r.nodes, variants: [...r.variants].sort(),
                 targets: [...r.targets].sort().slice(0, MAX_TARGETS) };
      });
    }
    return { out, byRule };
  }

  needsReview() {
    return Object.fromEntries(Object.entries(this.incomplete).sort().map(
      ([id, r]) => [id, { nodes: r.nodes, targets: [...r.targets].sort().slice(0, MAX_TARGETS) }]));
  }
}

async function checkVariant(browser, job, mode, width) {
  const { siteRoot, pages, statePages, results, screenshots } = job;
  const variant = `${mode}@${width}`;
  const context = await browser.newContext({ viewport: { width, height: HEIGHT }, colorScheme: mode,
                                             reducedMotion: "reduce" });
  // pydata-sphinx-theme reads these keys in an inline <head> script before anything is painted.
  await context.addInitScript((m) => {
    try {
      localStorage.setItem("mode", m);
      localStorage.setItem("theme", m);
    } catch (e) {
      /* no storage for this origin: load() sets the dataset again after the page has loaded */
    }
  }, mode);
  let current = null;
  await context.route(/^(https?|wss?):/i, (route) => {
    results.request(current, route.request().url());
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const shot = async (name) => {
    if (!screenshots) return;
    const base = name.replace(/[/ ]/g, "__").replace(/[[\]]|\.html/g, "");
    await page.screenshot({ path: path.join(screenshots, `${base}.${mode}.${width}.png`), fullPage: true });
  };
  for (const rel of pages) {
    current = rel;
    await load(page, pathToFileURL(path.join(siteRoot, rel)).href, mode);
    results.record(rel, variant, await runAxe(page));
    if (width <= PHONE) {
      const extra = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (extra > 1) results.sideways[`${rel} @${variant}`] = extra;
    }
    await shot(rel);
  }
  for (const state of STATES) {
    for (const rel of statePages.get(state.name) ?? []) {
      const name = `${rel} [${state.name}]`;
      current = name;
      await load(page, pathToFileURL(path.join(siteRoot, rel)).href, mode);
      const outcome = await openState(page, state, width);
      if (outcome === "n/a") continue;
      if (outcome === "open") {
        results.record(name, variant, await runAxe(page));
        results.statesChecked.add(`${name} @${variant}`);
        await shot(name);
      } else {
        results.notOpened.add(`${name} @${variant}`);
      }
      break;
    }
  }
  await context.close();
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const siteRoot = path.resolve(args.site);
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  if (!existsSync(siteRoot) || !statSync(siteRoot).isDirectory()) usage(`${siteRoot} is not a directory`);
  if (!existsSync(executablePath)) usage(`no Chromium at ${executablePath} (apt-get install chromium)`);

  const started = Date.now();
  const redirects = {};
  const pages = [];
  for (const rel of findPages(siteRoot)) {
    const target = redirectTarget(path.join(siteRoot, rel));
    if (target === null) pages.push(rel);
    else redirects[rel] = target;
  }
  if (pages.length === 0) usage(`no .html pages under ${siteRoot}`);
  const statePages = new Map();
  for (const state of STATES) {
    const marker = state.marker ?? `id="${state.dialog.slice(1)}"`;
    const has = (p) => readFileSync(path.join(siteRoot, p), "utf8").includes(marker);
    const candidates = pages.filter((p) => !NOT_ORDINARY.test(p) && has(p));
    statePages.set(state.name, state.hover ? candidates : candidates.slice(0, 1));
  }
  if (args.screenshots) mkdirSync(args.screenshots, { recursive: true });

  const results = new Results();
  const job = { siteRoot, pages, statePages, results, screenshots: args.screenshots };
  const variants = MODES.flatMap((mode) => WIDTHS.map((width) => ({ mode, width })));
  const concurrency = Math.max(1, Number(process.env.AXE_CONCURRENCY) || 2);
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  try {
    const queue = [...variants];
    const worker = async () => {
      for (let v = queue.shift(); v; v = queue.shift()) await checkVariant(browser, job, v.mode, v.width);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, variants.length) }, worker));
  } finally {
    await browser.close();
  }

  const { out: violations, byRule } = results.violations();
  const summary = {
    site: siteRoot,
    axe_core: AXE_VERSION,
    tags: TAGS,
    variants: variants.map((v) => `${v.mode}@${v.width}`),
    pages_checked: pages.length,
    pages,
    redirects_not_checked: redirects,
    dialogs_checked: [...results.statesChecked].sort(),
    dialogs_not_opened: [...results.notOpened].sort(),
    runs: pages.length * variants.length + results.statesChecked.size,
    pages_with_violations: Object.keys(violations).length,
    violations_by_rule: byRule,
    violations,
    needs_review_by_rule: results.needsReview(),
    external_requests: results.external,
    sideways_scroll_px: results.sideways,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
  const text = JSON.stringify(summary, null, 2);
  if (args.json) writeFileSync(args.json, text + "\n");
  console.log(text);
  const failed = Object.keys(violations).length || Object.keys(results.external).length || results.notOpened.size ||
    Object.keys(results.sideways).length;
  // exitCode, not exit(): a large summary written to a pipe must be flushed before node ends.
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(`axe_check: ${err.stack || err}`);
  process.exitCode = 2;
});
