-- Ghost text for Neovim 0.10 and 0.11, which have no inline-completion UI: request
-- textDocument/inlineCompletion while typing (debounced), cancel the request a newer keystroke
-- makes stale, draw the suggestion with extmarks, and accept all of it, a word or a line.
-- While the user types what the ghost text shows, it is trimmed instead of requested again.
local compat = require("renga.compat")

local M = {}

M.ns = vim.api.nvim_create_namespace("renga.ghost")

local config = { debounce_ms = 30, enabled = true }

---@class renga.GhostState
---@field items table[]          items of the last answer
---@field index integer          the item shown
---@field row integer            0-based row of the suggestion's start
---@field col integer            byte column where the suggestion's text starts (range start)
---@field client_id integer
---@field request_id integer|nil a request in flight
---@field timer uv.uv_timer_t|nil
---@field dismissed boolean
local states = {} ---@type table<integer, renga.GhostState>

local function state(bufnr)
  local s = states[bufnr]
  if not s then
    s = { items = {}, index = 1, row = 0, col = 0, dismissed = false }
    states[bufnr] = s
  end
  return s
end

local function text_of(item)
  local text = item.insertText
  if type(text) == "table" then
    text = text.value -- a StringValue snippet: shown as written
  end
  return text or ""
end

--- Stats for tests and statuslines: requests sent and cancelled, per session.
M.stats = { requests = 0, cancelled = 0, shown = 0, accepted = 0 }

local function cancel(bufnr)
  local s = state(bufnr)
  if s.timer then
    s.timer:stop()
    s.timer:close()
    s.timer = nil
  end
  if s.request_id and s.client_id then
    local client = vim.lsp.get_client_by_id(s.client_id)
    if client then
      compat.cancel(client, s.request_id)
      M.stats.cancelled = M.stats.cancelled + 1
    end
  end
  s.request_id = nil
end

function M.clear(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

--- What is still to insert at the cursor for the shown item, or nil when it no longer fits.
local function remainder(bufnr)
  local s = states[bufnr]
  if not s or #s.items == 0 then
    return nil
  end
  local item = s.items[s.index]
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  if row ~= s.row or col < s.col then
    return nil
  end
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local typed = line:sub(s.col + 1, col)
  local text = text_of(item)
  if text:sub(1, #typed) ~= typed then
    return nil
  end
  local rest = text:sub(#typed + 1)
  if rest == "" then
    return nil
  end
  return rest
end

local function render(bufnr)
  M.clear(bufnr)
  local rest = remainder(bufnr)
  if not rest then
    return false
  end
  local lines = vim.split(rest, "\n", { plain = true })
  local cursor = vim.api.nvim_win_get_cursor(0)
  local virt_lines = {}
  for i = 2, #lines do
    virt_lines[#virt_lines + 1] = { { lines[i], "RengaGhostText" } }
  end
  local s = states[bufnr]
  local count = #s.items > 1 and { { string.format(" (%d/%d)", s.index, #s.items), "RengaGhostCount" } } or {}
  local virt_text = { { lines[1], "RengaGhostText" } }
  vim.list_extend(virt_text, count)
  vim.api.nvim_buf_set_extmark(bufnr, M.ns, cursor[1] - 1, cursor[2], {
    virt_text = virt_text,
    virt_text_pos = "inline",
    virt_lines = #virt_lines > 0 and virt_lines or nil,
    hl_mode = "combine",
    priority = 200,
  })
  return true
end

function M.visible(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  return #vim.api.nvim_buf_get_extmarks(bufnr, M.ns, 0, -1, { limit = 1 }) > 0
end

--- Ghost text currently drawn (for tests and statuslines): the first line, then the others.
function M.shown(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local marks = vim.api.nvim_buf_get_extmarks(bufnr, M.ns, 0, -1, { details = true })
  if #marks == 0 then
    return nil
  end
  local details = marks[1][4]
  local out = { row = marks[1][2], col = marks[1][3], lines = { details.virt_text[1][1] } }
  for _, vl in ipairs(details.virt_lines or {}) do
    out.lines[#out.lines + 1] = vl[1][1]
  end
  return out
end

local function request(bufnr, trigger_kind)
  local client = compat.client(bufnr)
  if not client or not config.enabled then
    return
  end
  cancel(bufnr)
  local s = state(bufnr)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = trigger_kind }
  local changedtick = vim.api.nvim_buf_get_changedtick(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(0)
  s.anchor = cursor
  s.client_id = client.id
  M.stats.requests = M.stats.requests + 1
  local ok, id
  ok, id = compat.request(client, "textDocument/inlineCompletion", params, function(err, result)
    if s.request_id ~= id then
      return -- a newer request owns the buffer
    end
    s.request_id = nil
    if err or not result then
      return
    end
    -- An answer for text that changed since is stale.
    local now = vim.api.nvim_win_get_cursor(0)
    if
      vim.api.nvim_get_current_buf() ~= bufnr
      or vim.api.nvim_buf_get_changedtick(bufnr) ~= changedtick
      or now[1] ~= cursor[1]
      or now[2] ~= cursor[2]
      or not vim.startswith(vim.api.nvim_get_mode().mode, "i")
    then
      return
    end
    local items = result.items or result
    local usable = {}
    for _, item in ipairs(items) do
      if text_of(item) ~= "" then
        usable[#usable + 1] = item
      end
    end
    if #usable == 0 then
      return
    end
    local start = usable[1].range and usable[1].range.start or params.position
    s.items, s.index = usable, 1
    s.row = start.line
    s.col = compat.byte_col(bufnr, start.line, start.character, client.offset_encoding)
    if render(bufnr) then
      M.stats.shown = M.stats.shown + 1
    end
  end, bufnr)
  s.request_id = ok and id or nil
end

local function schedule_request(bufnr)
  local s = state(bufnr)
  cancel(bufnr)
  s.anchor = vim.api.nvim_win_get_cursor(0)
  s.timer = vim.uv.new_timer()
  s.timer:start(
    config.debounce_ms,
    0,
    vim.schedule_wrap(function()
      if s.timer then
        s.timer:close()
        s.timer = nil
      end
      if vim.api.nvim_get_current_buf() == bufnr and vim.startswith(vim.api.nvim_get_mode().mode, "i") then
        request(bufnr, 2)
      end
    end)
  )
end

--- A keystroke in insert mode: keep the ghost text if the user typed what it shows, else ask.
local function on_change(bufnr)
  if not config.enabled then
    return
  end
  local s = state(bufnr)
  s.dismissed = false
  if render(bufnr) then
    cancel(bufnr)
    return
  end
  s.items = {}
  schedule_request(bufnr)
end

local function insert(bufnr, text)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  local lines = vim.split(text, "\n", { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, col, row, col, lines)
  local last_row = row + #lines - 1
  local last_col = (#lines == 1 and col or 0) + #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { last_row + 1, last_col })
end

local function run_command(bufnr, item)
  local cmd = item.command
  local client = compat.client(bufnr)
  if cmd and client then
    compat.request(client, "workspace/executeCommand", { command = cmd.command, arguments = cmd.arguments }, function() end, bufnr)
  end
end

--- Accept `how` of the suggestion: "all", "word" or "line". False when nothing is shown.
function M.accept(how)
  local bufnr = vim.api.nvim_get_current_buf()
  local rest = remainder(bufnr)
  if not rest or not M.visible(bufnr) then
    return false
  end
  local s = states[bufnr]
  local item = s.items[s.index]
  local piece = rest
  if how == "word" then
    piece = rest:match("^%s*[%w_]+") or rest:match("^%s*[^%w_%s]+") or rest:match("^%s+") or rest
  elseif how == "line" then
    piece = rest:match("^[^\n]*\n") or rest
  end
  M.clear(bufnr)
  cancel(bufnr)
  insert(bufnr, piece)
  if piece == rest then
    s.items = {}
    M.stats.accepted = M.stats.accepted + 1
    run_command(bufnr, item)
  else
    render(bufnr) -- the rest stays; TextChangedI sees it still fits and keeps it
  end
  return true
end

function M.cycle(step)
  local bufnr = vim.api.nvim_get_current_buf()
  local s = state(bufnr)
  if #s.items > 1 then
    s.index = (s.index - 1 + step) % #s.items + 1
    render(bufnr)
  else
    request(bufnr, 1) -- asked for explicitly: an Invoked request
  end
end

function M.dismiss()
  local bufnr = vim.api.nvim_get_current_buf()
  local had = M.visible(bufnr)
  cancel(bufnr)
  M.clear(bufnr)
  state(bufnr).items = {}
  state(bufnr).dismissed = true
  return had
end

function M.trigger()
  request(vim.api.nvim_get_current_buf(), 1)
end

function M.set_enabled(enabled)
  config.enabled = enabled
  if not enabled then
    for bufnr in pairs(states) do
      cancel(bufnr)
      M.clear(bufnr)
    end
  end
end

function M.attach(bufnr)
  local group = vim.api.nvim_create_augroup("renga.ghost." .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ "TextChangedI", "TextChangedP" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      on_change(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd("CursorMovedI", {
    group = group,
    buffer = bufnr,
    callback = function()
      -- Moving without typing: what was shown belongs elsewhere.
      local s = state(bufnr)
      local cursor = vim.api.nvim_win_get_cursor(0)
      if M.visible(bufnr) then
        if not remainder(bufnr) then
          M.clear(bufnr)
          cancel(bufnr)
        end
      elseif s.anchor and (s.anchor[1] ~= cursor[1] or s.anchor[2] ~= cursor[2]) then
        cancel(bufnr)
      end
    end,
  })
  vim.api.nvim_create_autocmd({ "InsertLeave", "BufLeave" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      cancel(bufnr)
      M.clear(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd({ "BufUnload", "LspDetach" }, {
    group = group,
    buffer = bufnr,
    callback = function(args)
      if args.event == "LspDetach" and compat.client(bufnr) then
        return
      end
      cancel(bufnr)
      states[bufnr] = nil
    end,
  })
end

function M.setup(opts)
  config.debounce_ms = opts.debounce_ms or config.debounce_ms
  config.enabled = opts.enabled ~= false
  vim.api.nvim_set_hl(0, "RengaGhostText", { link = "Comment", default = true })
  vim.api.nvim_set_hl(0, "RengaGhostCount", { link = "NonText", default = true })
end

return M
