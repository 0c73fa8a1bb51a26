// Drives a running code-server (VS Code in the browser) with headless Debian Chromium through
// playwright-core, as a user would: open a file, optionally let the extension install the
// server (--install: the "Install renga" button of its not-found message) and set the API key
// (--key: the "Renga: Set API Key" command), type, wait for renga's ghost text, accept it with
// Tab, optionally run renga's refactor command. Prints one JSON line with what it saw; the pytest
// side (test_vscode.py) makes the assertions. Screenshots go to --shots.
//
//   node vscode_driver.mjs --url http://127.0.0.1:PORT --folder /ws --file calc.py --shots DIR
//       [--install] [--key KEY] [--refactor "instruction"] [--expect "return a + b"]
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import * as fs from "node:fs";
import * as path from "node:path";

const { values: opt } = parseArgs({
  options: {
    url: { type: "string" },
    folder: { type: "string" },
    file: { type: "string" },
    shots: { type: "string" },
    expect: { type: "string" },
    type: { type: "string" },
    refactor: { type: "string" },
    install: { type: "boolean", default: false },
    key: { type: "string" },
    "refactor-expect": { type: "string" },
    playwright: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
const require = createRequire(import.meta.url);
const { chromium } = require(opt.playwright);
fs.mkdirSync(opt.shots, { recursive: true });

const result = { steps: [] };
const step = (name, extra = {}) => {
  result.steps.push({ name, t: Date.now(), ...extra });
  process.stderr.write(`driver: ${name}\n`);
};

const browser = await chromium.launch({
  executablePath: opt.chromium,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
  ],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 560 } });
const shot = async (name) => {
  const file = path.join(opt.shots, name);
  await page.screenshot({ path: file });
  return file;
};
const cursorText = async () =>
  page.locator(".statusbar-item", { hasText: /Ln \d+, Col \d+/ }).first().innerText();
const editorText = async () =>
  (await page.locator(".monaco-editor .view-lines").first().innerText()).replace(/\u00a0/g, " ");

try {
  await page.goto(`${opt.url}/?folder=${encodeURIComponent(opt.folder)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
  step("workbench");
  // Quick Open the file. On a busy machine the workbench may still be settling and drop the
  // Enter (seen once in four runs): try again until the file's editor is there.
  const editor = page.locator(".monaco-editor .view-lines").first();
  for (let attempt = 1; ; attempt++) {
    await page.locator(".monaco-workbench").click({ position: { x: 600, y: 300 } });
    await page.keyboard.press("Control+P");
    await page.locator(".quick-input-widget input").waitFor({ timeout: 15000 });
    // An absolute path needs no file search (ripgrep may still be indexing on a cold start).
    await page.keyboard.type(path.join(opt.folder, opt.file));
    await page.locator(".quick-input-list .monaco-list-row", { hasText: opt.file }).first().waitFor({ timeout: 30000 });
    await page.waitForTimeout(200);
    await page.keyboard.press("Enter");
    try {
      await editor.waitFor({ timeout: 15000 });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      await page.keyboard.press("Escape");
      step(`open retried (${attempt})`);
    }
  }
  const runCommand = async (title) => {
    await page.keyboard.press("F1");
    await page.locator(".quick-input-widget input").waitFor();
    await page.keyboard.type(title);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor();
    await page.keyboard.press("Enter");
  };
  const statusItem = page.locator(".statusbar-item", { hasText: /renga \$|renga <\$/ }).first();
  if (opt.install) {
    // Opening a Python file activates the extension; with no server anywhere it says so and
    // offers to install it.
    const install = page.getByRole("button", { name: "Install renga", exact: true });
    await install.waitFor({ timeout: 60000 });
    result.notFoundMessage = await page
      .locator(".notification-list-item", { has: install })
      .first()
      .innerText()
      .catch(() => null);
    result.notFoundShot = await shot("vscode-install-offer.png");
    step("install offered");
    await install.click();
    await page.locator(".notification-list-item", { hasText: "installing the server" }).first().waitFor({ timeout: 30000 });
    result.installShot = await shot("vscode-installing.png");
    step("installing");
  }
  // The status bar item shows the spend once the server has said how it is (ready, or inactive
  // without a key).
  await statusItem.waitFor({ timeout: opt.install ? 420000 : 60000 });
  step("renga started");
  if (opt.key) {
    // Without a key the server says so; its message carries a button that sets one.
    result.keyButtonShown = await page
      .getByRole("button", { name: "Set API Key", exact: true })
      .first()
      .waitFor({ timeout: 30000 })
      .then(() => true, () => false);
    result.statusWithoutKey = await statusItem.innerText();
    result.noKeyShot = await shot("vscode-no-key.png");
    await page.locator(".monaco-workbench").click({ position: { x: 600, y: 300 } });
    await runCommand("Renga: Set API Key");
    await page.locator(".quick-input-widget input[type=password]").waitFor();
    await page.keyboard.type(opt.key);
    await page.keyboard.press("Enter");
    step("key set");
  }
  // Ready: the sparkle icon (the server has a key and the model service answers).
  await page.locator(".statusbar-item", { hasText: /renga/ }).locator(".codicon-sparkle").first().waitFor({ timeout: 60000 });
  result.statusReady = await statusItem.innerText();
  step("renga ready");
  await page.waitForTimeout(500);
  await editor.click();
  step("opened");
  await page.keyboard.press("Control+End");
  await page.keyboard.type(opt.type ?? "    ", { delay: 60 });
  step("typed");
  // The extension (and so the server) may activate after the first keystroke: if no ghost text
  // shows, ask for it explicitly (Alt+\ is editor.action.inlineSuggest.trigger), then wait again.
  const ghost = page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").first();
  let seen = false;
  for (let attempt = 0; attempt < 6 && !seen; attempt++) {
    try {
      await ghost.waitFor({ timeout: 5000 });
      seen = true;
    } catch {
      await page.keyboard.press("Alt+Backslash");
    }
  }
  if (!seen) throw new Error("no ghost text appeared");
  await page.waitForTimeout(300); // the rest of the ghost text renders in the same frame or next
  result.ghostText = (
    await page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").allTextContents()
  ).join("").replace(/\u00a0/g, " ");
  result.cursorBeforeAccept = await cursorText();
  step("ghost", { text: result.ghostText });
  result.ghostShot = await shot("vscode-ghost-text.png");
  await page.keyboard.press("Tab");
  await page.waitForFunction(
    (expected) => document.querySelector(".monaco-editor .view-lines")?.innerText.replace(/\u00a0/g, " ").includes(expected),
    opt.expect,
    { timeout: 10000 },
  );
  await page.waitForTimeout(500);
  result.textAfterAccept = await editorText();
  result.cursorAfterAccept = await cursorText();
  result.ghostAfterAccept = await page.locator(".monaco-editor .ghost-text-decoration").count();
  step("accepted");
  result.acceptShot = await shot("vscode-accepted.png");

  if (opt.refactor) {
    await page.keyboard.press("Control+A");
    await runCommand("Renga: Refactor Selection with Instruction");
    // The instruction input box replaces the command palette.
    await page.locator(".quick-input-widget .quick-input-message, .quick-input-widget input").first().waitFor();
    await page.waitForTimeout(300);
    await page.keyboard.type(opt.refactor);
    result.refactorPromptShot = await shot("vscode-refactor-prompt.png");
    await page.keyboard.press("Enter");
    step("refactor asked");
    // renga marks its edit as needing confirmation: VS Code shows the refactor preview first.
    const apply = page.getByRole("button", { name: "Apply", exact: true });
    await apply.waitFor({ timeout: 60000 });
    step("preview");
    // Edits that need confirmation start unticked: tick the file, as the user would.
    // (the file's row in the preview tree; Space toggles its checkbox).
    await page.locator(".monaco-list-row", { hasText: opt.file }).last().click();
    await page.keyboard.press("Space");
    await page.waitForTimeout(500);
    result.previewTickedShot = await shot("vscode-refactor-preview.png");
    await apply.click();
    await page.waitForFunction(
      (expected) => document.querySelector(".monaco-editor .view-lines")?.innerText.replace(/\u00a0/g, " ").includes(expected),
      opt["refactor-expect"],
      { timeout: 30000 },
    );
    result.textAfterRefactor = await editorText();
    step("refactored");
    result.refactorShot = await shot("vscode-refactored.png");
  }
  // The spend in the status bar follows the model calls (renga/status on each change).
  result.statusBar = await page
    .waitForFunction(
      (before) => {
        const item = [...document.querySelectorAll(".statusbar-item")].find((e) => /renga (\$|<\$)/.test(e.innerText));
        return item && item.innerText !== before ? item.innerText : null;
      },
      result.statusReady,
      { timeout: 15000 },
    )
    .then((handle) => handle.jsonValue(), () => statusItem.innerText().catch(() => null));
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.error = String(error?.stack ?? error);
  result.failShot = await shot("vscode-failure.png").catch(() => null);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + "\n");
