-- renga for Neovim: one call, require("renga").setup{}, configures and enables the renga
-- language server (vim.lsp.config/enable on 0.11+, vim.lsp.start on 0.10), shows its inline
-- completions (built-in vim.lsp.inline_completion on 0.12+, renga.ghost on 0.10/0.11), maps
-- keys that fall back to their previous meaning, and adds :Renga* commands.
local compat = require("renga.compat")

local M = {}

M.defaults = {
  -- How to start the server: any command that speaks LSP on stdio. nil: `renga` from PATH, else
  -- ~/.local/share/renga/venv/bin/renga (where the guides' install step puts it).
  cmd = nil,
  -- Extra environment for the server alone, e.g. { ANTHROPIC_API_KEY = ... } (never logged).
  cmd_env = nil,
  -- Neovim file types renga has a grammar for (grammars/*/language.toml; a test keeps them equal).
  filetypes = {
    "python", "javascript", "javascriptreact", "typescript", "typescriptreact",
    "go", "rust", "java", "c", "cpp", "ruby", "sh", "bash",
  },
  root_markers = { ".git", "pyproject.toml", "package.json", "go.mod", "Cargo.toml" },
  -- renga's settings (README configuration table), e.g. { models = { fast = "claude-haiku-4-5" } }.
  settings = {},
  -- "auto": built-in vim.lsp.inline_completion where Neovim has it (0.12+), else renga.ghost.
  ghost = "auto",
  debounce_ms = 30,
  -- Insert-mode keys; false leaves one unmapped. <Tab> falls back to its previous mapping.
  keymaps = {
    accept = "<Tab>",
    accept_word = "<M-Right>",
    accept_line = "<M-C-Right>",
    next = "<M-]>",
    prev = "<M-[>",
    dismiss = "<C-]>",
  },
}

M.config = vim.deepcopy(M.defaults)
M.last_status = nil ---@type table|nil the last renga/status notification

local function builtin()
  if M.config.ghost == "plugin" then
    return false
  end
  return vim.lsp.inline_completion ~= nil
end

function M.uses_builtin()
  return builtin()
end

-- -- keys ------------------------------------------------------------------------------------------

--- The keys a previous insert-mode mapping of `lhs` would have produced (or `lhs` itself).
local function fallback(previous, lhs)
  if not previous or vim.tbl_isempty(previous) then
    return vim.keycode(lhs)
  end
  if previous.callback then
    local result = previous.callback()
    if previous.expr == 1 then
      return previous.replace_keycodes == 1 and vim.keycode(result or "") or (result or "")
    end
    return ""
  end
  if previous.expr == 1 then
    return vim.keycode(vim.api.nvim_eval(previous.rhs))
  end
  return vim.keycode(previous.rhs)
end

-- Each action: what renga.ghost does (0.10/0.11), and what the built-in UI does (0.12+; nil where
-- it has no such action, so the key keeps its previous meaning there).
local actions = {
  accept = { ghost = 'accept("all")', builtin = function() return vim.lsp.inline_completion.get() end },
  accept_word = { ghost = 'accept("word")' },
  accept_line = { ghost = 'accept("line")' },
  dismiss = { ghost = "dismiss()" },
}

local function map(lhs, name, desc)
  if not lhs then
    return
  end
  local action = actions[name]
  local previous = vim.fn.maparg(lhs, "i", false, true)
  vim.keymap.set("i", lhs, function()
    -- Completion menus own the keys while open; so does everything else when no ghost text shows.
    if vim.fn.pumvisible() == 0 then
      if builtin() then
        if action.builtin and action.builtin() then
          return ""
        end
      elseif require("renga.ghost").visible() then
        -- Edits are not allowed while an expr mapping runs: do it as a <Cmd>.
        return vim.keycode("<Cmd>lua require('renga.ghost')." .. action.ghost .. "<CR>")
      end
    end
    return fallback(previous, lhs)
  end, { expr = true, replace_keycodes = false, desc = desc })
end

function M.has_suggestion()
  return not builtin() and require("renga.ghost").visible()
end

function M.accept(how)
  if builtin() then
    if how == "all" or how == nil then
      return vim.lsp.inline_completion.get()
    end
    vim.notify("renga: partial accept needs the renga ghost text (ghost = 'plugin')", vim.log.levels.WARN)
    return false
  end
  return require("renga.ghost").accept(how or "all")
end

function M.cycle(step)
  if builtin() then
    return vim.lsp.inline_completion.select({ count = step })
  end
  return require("renga.ghost").cycle(step)
end

function M.dismiss()
  if builtin() then
    return false -- the built-in UI dismisses on <Esc> (InsertLeave)
  end
  return require("renga.ghost").dismiss()
end

local function set_keymaps()
  local k = M.config.keymaps
  map(k.accept, "accept", "renga: accept suggestion")
  map(k.accept_word, "accept_word", "renga: accept a word")
  map(k.accept_line, "accept_line", "renga: accept a line")
  map(k.dismiss, "dismiss", "renga: dismiss suggestion")
  -- Cycling also asks for suggestions when none is shown.
  for lhs, step in pairs({ [k.next or false] = 1, [k.prev or false] = -1 }) do
    if lhs then
      vim.keymap.set("i", lhs, function()
        M.cycle(step)
      end, { desc = "renga: next/previous suggestion" })
    end
  end
end

-- -- server ------------------------------------------------------------------------------------------

-- An empty Lua table goes over the wire as [], not {}.
local function object(t)
  return next(t) == nil and vim.empty_dict() or t
end

local function lsp_config()
  local config = M.config
  return {
    name = "renga",
    cmd = config.cmd,
    cmd_env = config.cmd_env,
    filetypes = config.filetypes,
    root_markers = config.root_markers,
    init_options = { renga = object(config.settings) },
    -- Answers the server's workspace/configuration request for section "renga".
    settings = { renga = object(config.settings) },
    handlers = {
      ["renga/status"] = function(_, params)
        M.last_status = params
        vim.api.nvim_exec_autocmds("User", { pattern = "RengaStatus", modeline = false, data = params })
      end,
    },
    on_attach = function(client, bufnr)
      if builtin() then
        vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
      else
        require("renga.ghost").attach(bufnr)
      end
    end,
  }
end

--- Push new settings to the running server(s): e.g. set_settings({ completion = { enabled = false } }).
function M.set_settings(changes)
  M.config.settings = vim.tbl_deep_extend("force", M.config.settings, changes)
  for _, client in ipairs(vim.lsp.get_clients({ name = "renga" })) do
    client.settings = { renga = M.config.settings }
    compat.notify(client, "workspace/didChangeConfiguration", { settings = { renga = M.config.settings } })
  end
end

function M.set_completions(enabled)
  M.set_settings({ completion = { enabled = enabled } })
  if builtin() then
    vim.lsp.inline_completion.enable(enabled)
  else
    require("renga.ghost").set_enabled(enabled)
  end
  vim.notify("renga: completions " .. (enabled and "on" or "off"))
end

local function execute(command, arguments, on_result)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = compat.client(bufnr) or compat.client()
  if not client then
    vim.notify("renga: the server is not running in this buffer (:checkhealth renga)", vim.log.levels.ERROR)
    return
  end
  compat.request(client, "workspace/executeCommand", { command = command, arguments = arguments }, function(err, result)
    if err then
      vim.notify("renga: " .. command .. " failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    elseif type(result) == "table" and type(result.message) == "string" then
      vim.notify("renga: " .. result.message)
    end
  end, bufnr)
end
M.execute = execute

--- Refactor lines `line1`..`line2` (1-based, inclusive) of the current buffer as `instruction` says.
function M.refactor(instruction, line1, line2)
  local bufnr = vim.api.nvim_get_current_buf()
  local last = vim.api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ""
  local client = compat.client(bufnr)
  local range = {
    start = { line = line1 - 1, character = 0 },
    ["end"] = { line = line2 - 1, character = compat.lsp_length(last, client and client.offset_encoding or "utf-16") },
  }
  execute("renga.refactor", { { uri = vim.uri_from_bufnr(bufnr), range = range, instruction = instruction } })
end

local function show_markdown(title, markdown)
  vim.cmd("botright new")
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].filetype = "markdown"
  vim.api.nvim_buf_set_name(buf, title)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(markdown, "\n", { plain = true }))
  vim.bo[buf].modifiable = false
end

function M.usage()
  execute("renga.usage", {}, function(result)
    local md = type(result) == "table" and result.markdown or vim.inspect(result)
    show_markdown("renga://usage", md)
  end)
end

local function ask(prompt, run)
  return function(opts)
    if opts.args ~= "" then
      return run(opts.args, opts)
    end
    vim.ui.input({ prompt = prompt }, function(text)
      if text and vim.trim(text) ~= "" then
        run(text, opts)
      end
    end)
  end
end

local function create_commands()
  local cmd = vim.api.nvim_create_user_command
  cmd("RengaRefactor", ask("renga: refactor how? ", function(text, opts)
    M.refactor(text, opts.line1, opts.line2)
  end), { nargs = "*", range = true, desc = "renga: refactor the selected lines as instructed" })
  cmd("RengaRefactorWorkspace", ask("renga: refactor the workspace how? ", function(text)
    execute("renga.refactorWorkspace", { { instruction = text } })
  end), { nargs = "*", desc = "renga: refactor the workspace as instructed" })
  cmd("RengaUsage", M.usage, { desc = "renga: usage and spend" })
  cmd("RengaEnable", function()
    M.set_completions(true)
  end, { desc = "renga: completions on" })
  cmd("RengaDisable", function()
    M.set_completions(false)
  end, { desc = "renga: completions off" })
  cmd("RengaToggle", function()
    local settings = M.config.settings.completion or {}
    M.set_completions(settings.enabled == false)
  end, { desc = "renga: completions on/off" })
  cmd("RengaStatus", function()
    local s = M.last_status
    vim.notify(s and string.format("renga: %s %s (today $%.2f)", s.state, s.message or "", s.spendTodayUsd or 0) or "renga: no status yet")
  end, { desc = "renga: server state and today's spend" })
end

--- A statusline component: "renga $0.12", or "renga: <state>" when not ready.
function M.statusline()
  local s = M.last_status
  if not s then
    return ""
  end
  if s.state == "ready" or s.state == "busy" then
    return string.format("renga $%.2f", s.spendTodayUsd or 0)
  end
  return "renga: " .. s.state
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  M.config.cmd = M.config.cmd or require("renga.install").cmd()
  if not builtin() then
    require("renga.ghost").setup(M.config)
  end
  local config = lsp_config()
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config("renga", config)
    vim.lsp.enable("renga")
  else
    -- Neovim 0.10: start (or reuse) a client per root when a matching buffer opens.
    vim.api.nvim_create_autocmd("FileType", {
      group = vim.api.nvim_create_augroup("renga.start", { clear = true }),
      pattern = config.filetypes,
      callback = function(args)
        local root = vim.fs.root(args.buf, config.root_markers) or vim.fn.getcwd()
        vim.lsp.start(vim.tbl_extend("force", config, { root_dir = root }), { bufnr = args.buf })
      end,
    })
  end
  set_keymaps()
  create_commands()
end

return M
