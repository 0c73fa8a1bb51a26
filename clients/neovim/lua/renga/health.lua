-- :checkhealth renga
local M = {}

function M.check()
  local health = vim.health
  local renga = require("renga")
  health.start("renga: Neovim")
  if vim.fn.has("nvim-0.10") == 0 then
    health.error("Neovim 0.10 or newer is needed (inline virtual text, vim.fs.root)")
  elseif renga.uses_builtin() then
    health.ok("ghost text: Neovim's built-in vim.lsp.inline_completion (0.12+)")
  else
    health.ok("ghost text: drawn by renga.ghost (Neovim " .. tostring(vim.version()) .. ")")
  end

  health.start("renga: server")
  local cmd = renga.config.cmd or require("renga.install").cmd()
  local exe = type(cmd) == "table" and cmd[1] or nil
  if type(cmd) == "function" then
    health.info("cmd is a function; not checked")
  elseif not exe or vim.fn.executable(exe) == 0 then
    health.error(
      "`" .. tostring(exe) .. "` is not executable",
      { "install it as the README's Install section says (it lands in " .. require("renga.install").installed .. ")",
        'or point setup at it: require("renga").setup{ cmd = { "/path/to/renga", "serve" } }' }
    )
  else
    local version_cmd = vim.list_extend(vim.list_slice(cmd, 1, #cmd - 1), { "--version" })
    local out = vim.system(version_cmd, { text = true }):wait(15000)
    if out.code == 0 then
      health.ok(vim.trim(out.stdout) .. " (" .. table.concat(cmd, " ") .. ")")
    else
      health.error("`" .. table.concat(version_cmd, " ") .. "` failed: " .. vim.trim(out.stderr or ""))
    end
  end
  local credentials = { "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "AWS_REGION", "ANTHROPIC_VERTEX_PROJECT_ID" }
  local cmd_env = renga.config.cmd_env or {}
  local found = vim.tbl_filter(function(name)
    return (vim.env[name] or "") ~= "" or (cmd_env[name] or "") ~= ""
  end, credentials)
  if #found > 0 then
    health.ok("credentials in the server's environment: " .. table.concat(found, ", ") .. " (values not shown)")
  else
    health.warn("no credentials in the server's environment", {
      "export ANTHROPIC_API_KEY=... before starting Neovim",
      'or setup{ cmd_env = { ANTHROPIC_API_KEY = ... } }',
    })
  end

  -- :checkhealth runs in its own buffer, so report every renga client and the buffers it serves.
  health.start("renga: clients")
  local clients = vim.lsp.get_clients({ name = "renga" })
  if #clients == 0 then
    health.info("no renga client running; it starts for: " .. table.concat(renga.config.filetypes, ", "))
  end
  for _, client in ipairs(clients) do
    local names = {}
    for bufnr in pairs(client.attached_buffers or {}) do
      names[#names + 1] = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":~:.")
    end
    health.ok(string.format(
      "attached (client %d, positions %s, root %s): %s",
      client.id, client.offset_encoding, client.root_dir or "none", table.concat(names, ", ")
    ))
  end
  local status = renga.last_status
  if status then
    local line = string.format("server says: %s %s (spent today $%.2f)", status.state, status.message or "", status.spendTodayUsd or 0)
    if status.state == "error" then
      health.error(line)
    elseif status.state == "warning" or status.state == "inactive" then
      health.warn(line)
    else
      health.ok(line)
    end
  end
end

return M
