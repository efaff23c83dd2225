#!/usr/bin/env bash
# Opens a bundle's index.html in headless Chromium, as an auditor opening the
# unzipped artifact would, and checks that the page loads with no console
# errors or exceptions, fetches nothing but local files, and that Mermaid drew
# every diagram as an <svg>. Writes a screenshot.
#
#   bash scripts/browser-check.sh                  # builds helios, runs testdata/example, checks its bundle
#   bash scripts/browser-check.sh --bundle DIR     # checks an existing bundle
#   options: --screenshot FILE (default: browser-check.png in the current folder)
#
# Needs Go, node and Chromium at /usr/bin/chromium (or $CHROMIUM); it installs
# nothing itself (Debian: apt-get install -y chromium). It drives the browser
# over the DevTools protocol on a pipe (--remote-debugging-pipe), so node needs
# no packages. Every stage is bounded by a timeout.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bundle=""
shot="$PWD/browser-check.png"
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=$(cd "$2" && pwd); shift 2 ;;
    --screenshot) shot=$(realpath -m "$2"); shift 2 ;;
    *) echo "browser-check: unknown argument $1" >&2; exit 2 ;;
  esac
done

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "browser-check: no Chromium at $chromium; install it with: apt-get install -y chromium" >&2
  exit 2
fi
command -v node >/dev/null || { echo "browser-check: node is needed (apt-get install -y nodejs)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" 2>/dev/null || true' EXIT

if [ -z "$bundle" ]; then
  echo "browser-check: running the example mission on the dev chain (go run ./cmd/demo)"
  cp -R "$repo/testdata/example" "$tmp/example"
  rm -rf "$tmp/example/reports"
  # The page must exist whatever the mission's conclusion, so a failed run
  # is reported but does not stop the check.
  rc=0
  (cd "$repo" && timeout 600 go run ./cmd/demo -C "$tmp/example") || rc=$?
  echo "browser-check: demo exited $rc"
  bundle="$tmp/example/reports/helios-omniversal-symphony"
fi
if [ ! -f "$bundle/index.html" ]; then
  echo "browser-check: FAIL: $bundle/index.html does not exist (does the engine's BeforeLedger hook call site.Write?)" >&2
  exit 1
fi

cat > "$tmp/cdp.js" <<'JS'
// Minimal DevTools-protocol client over Chromium's pipe (fd 3 in, fd 4 out,
// NUL-separated JSON messages).
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const [chrome, page, shot, profile] = process.argv.slice(2);
const proc = spawn(chrome, [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank",
], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
let stderr = "";
proc.stdio[2].on("data", (d) => { stderr += d; });
const out = proc.stdio[3], inp = proc.stdio[4];

let nextID = 0, buf = Buffer.alloc(0);
const pending = new Map(), listeners = new Set();
inp.on("data", (d) => {
  buf = Buffer.concat([buf, d]);
  for (let i; (i = buf.indexOf(0)) >= 0; buf = buf.subarray(i + 1)) {
    const msg = JSON.parse(buf.subarray(0, i).toString());
    const p = pending.get(msg.id);
    if (p) {
      pending.delete(msg.id);
      msg.error ? p.reject(new Error(msg.error.message)) : p.resolve(msg.result);
    } else {
      for (const l of listeners) l(msg);
    }
  }
});
function send(method, params = {}, sessionId) {
  const msg = { id: ++nextID, method, params };
  if (sessionId) msg.sessionId = sessionId;
  out.write(JSON.stringify(msg) + "\0");
  return new Promise((resolve, reject) => pending.set(msg.id, { resolve, reject }));
}
function waitFor(pred) {
  return new Promise((resolve) => {
    const l = (m) => { if (pred(m)) { listeners.delete(l); resolve(m); } };
    listeners.add(l);
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const errors = [], remote = [];
let failed = false;
function check(ok, what) {
  console.log((ok ? "  ok    " : "  FAIL  ") + what);
  if (!ok) failed = true;
}

async function main() {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  listeners.add((m) => {
    if (m.sessionId !== sessionId) return;
    const p = m.params || {};
    if (m.method === "Runtime.exceptionThrown") {
      const d = p.exceptionDetails || {};
      errors.push("exception: " + ((d.exception && d.exception.description) || d.text));
    } else if (m.method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert")) {
      errors.push("console." + p.type + ": " + p.args.map((a) => a.value ?? a.description).join(" "));
    } else if (m.method === "Log.entryAdded" && p.entry.level === "error") {
      errors.push("log: " + p.entry.text + (p.entry.url ? " (" + p.entry.url + ")" : ""));
    } else if (m.method === "Network.requestWillBeSent" && !/^(file|data|blob|about):/.test(p.request.url)) {
      remote.push(p.request.url);
    }
  });
  for (const d of ["Runtime", "Log", "Page", "Network"]) await send(d + ".enable", {}, sessionId);
  await send("Emulation.setDeviceMetricsOverride", { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
  const loaded = waitFor((m) => m.method === "Page.loadEventFired" && m.sessionId === sessionId);
  const url = "file://" + path.resolve(page);
  await send("Page.navigate", { url }, sessionId);
  await loaded;
  check(true, "loaded " + url);

  // Mermaid draws asynchronously: poll until every diagram has an <svg>.
  let st = {};
  for (let i = 0; i < 100; i++) {
    const r = await send("Runtime.evaluate", {
      returnByValue: true,
      expression: `({
        mermaid: typeof mermaid,
        diagrams: document.querySelectorAll("pre.mermaid").length,
        svgs: document.querySelectorAll("pre.mermaid svg").length,
        files: document.querySelectorAll("td a[href]").length,
        title: document.title })`,
    }, sessionId);
    st = r.result.value;
    if (st.diagrams > 0 && st.svgs >= st.diagrams) break;
    await sleep(200);
  }
  await sleep(300); // let late console errors arrive
  check(st.mermaid === "object", "Mermaid loaded from assets/mermaid.min.js (typeof mermaid = " + st.mermaid + ")");
  check(st.diagrams > 0 && st.svgs >= st.diagrams, `Mermaid rendered ${st.svgs} <svg> for ${st.diagrams} diagram(s)`);
  check(st.files > 0, `${st.files} linked files and logs in the page ("${st.title}")`);
  check(errors.length === 0, `no console errors or exceptions (${errors.length})`);
  errors.forEach((e) => console.log("          " + e));
  check(remote.length === 0, `no requests beyond file:// (${remote.length})`);
  remote.forEach((u) => console.log("          " + u));

  const m = await send("Page.getLayoutMetrics", {}, sessionId);
  const size = m.cssContentSize || m.contentSize;
  const clip = { x: 0, y: 0, width: 1280, height: Math.min(Math.ceil(size.height), 6000), scale: 1 };
  const shotRes = await send("Page.captureScreenshot", { format: "png", clip, captureBeyondViewport: true }, sessionId);
  fs.writeFileSync(shot, Buffer.from(shotRes.data, "base64"));
  check(fs.statSync(shot).size > 0, `screenshot ${shot} (${clip.width}x${clip.height})`);
  await send("Browser.close").catch(() => {});
}

const guard = setTimeout(() => {
  console.log("  FAIL  timed out after 90 s");
  proc.kill("SIGKILL");
  process.exit(1);
}, 90000);
main().then(() => {
  clearTimeout(guard);
  proc.kill();
  process.exit(failed ? 1 : 0);
}, (err) => {
  console.log("  FAIL  " + err.message);
  if (stderr) console.log(stderr.split("\n").slice(-10).join("\n"));
  proc.kill("SIGKILL");
  process.exit(1);
});
JS

echo "browser-check: $("$chromium" --version 2>/dev/null || echo chromium), node $(node --version)"
echo "browser-check: checking $bundle/index.html"
timeout 120 node "$tmp/cdp.js" "$chromium" "$bundle/index.html" "$shot" "$tmp/profile"
echo "browser-check: passed"
