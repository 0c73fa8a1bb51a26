-- For Neovim 0.11+ users who configure servers themselves (vim.lsp.enable("renga")) instead of
-- calling require("renga").setup{}: the server's defaults, the same as setup's. 0.12 then shows
-- ghost text with vim.lsp.inline_completion.enable(). Add a key for the server alone with
-- vim.lsp.config("renga", { cmd_env = { ANTHROPIC_API_KEY = ... } }).
return {
  cmd = require("renga.install").cmd(),
  filetypes = {
    "python", "javascript", "javascriptreact", "typescript", "typescriptreact",
    "go", "rust", "java", "c", "cpp", "ruby", "sh", "bash",
  },
  root_markers = { ".git", "pyproject.toml", "package.json", "go.mod", "Cargo.toml" },
}
