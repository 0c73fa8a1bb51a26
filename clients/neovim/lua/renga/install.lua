-- Where the guides' install step puts the server (README "Install"): the plugin finds it there
-- when `renga` is not on PATH, since an editor started from a launcher often has a short PATH.
local M = {}

M.installed = "~/.local/share/renga/venv/bin/renga"

--- The command that starts the server: `renga` from PATH, else the guides' install location.
function M.cmd()
  if vim.fn.executable("renga") == 1 then
    return { "renga", "serve" }
  end
  local installed = vim.fn.expand(M.installed)
  if vim.fn.executable(installed) == 1 then
    return { installed, "serve" }
  end
  return { "renga", "serve" }
end

return M
