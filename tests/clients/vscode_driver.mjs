// Drives a running code-server (VS Code in the browser) with headless Debian Chromium through
// playwright-core, as a user would: open a file, type, wait for renga's ghost text, accept it
// with Tab, optionally run renga's refactor command. Prints one JSON line with what it saw;
// the pytest side (test_vscode.py) makes the assertions. Screenshots go to --shots.
//
//   node vscode_driver.mjs --url http://127.0.0.1:PORT --folder /ws --file calc.py --shots DIR
//       [--refactor "instruction"] [--expect "return a + b"]
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
  // Quick Open the file.
  await page.locator(".monaco-workbench").click({ position: { x: 600, y: 300 } });
  await page.keyboard.press("Control+P");
  await page.locator(".quick-input-widget input").waitFor({ timeout: 15000 });
  // An absolute path needs no file search (ripgrep may still be indexing on a cold start).
  await page.keyboard.type(path.join(opt.folder, opt.file));
  await page.locator(".quick-input-list .monaco-list-row").first().waitFor({ timeout: 30000 });
  await page.keyboard.press("Enter");
  const editor = page.locator(".monaco-editor .view-lines").first();
  await editor.waitFor({ timeout: 15000 });
  // Opening a Python file activates the extension; its status bar item shows the spend once the
  // server has said it is ready. A user would start typing about then.
  const statusItem = page.locator(".statusbar-item", { hasText: /renga \$/ }).first();
  await statusItem.waitFor({ timeout: 60000 });
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
    await page.keyboard.press("F1");
    await page.locator(".quick-input-widget input").waitFor();
    await page.keyboard.type("Renga: Refactor Selection with Instruction");
    await page.locator(".quick-input-list .monaco-list-row").first().waitFor();
    await page.keyboard.press("Enter");
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
  result.statusBar = await statusItem.innerText().catch(() => null);
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.error = String(error?.stack ?? error);
  result.failShot = await shot("vscode-failure.png").catch(() => null);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + "\n");
