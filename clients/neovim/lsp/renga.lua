-- For Neovim 0.11+ users who configure servers themselves (vim.lsp.enable("renga")) instead of
-- calling require("renga").setup{}: the server's defaults. 0.12 then shows ghost text with
-- vim.lsp.inline_completion.enable().
return {
  cmd = { "renga", "serve" },
  filetypes = {
    "python", "javascript", "javascriptreact", "typescript", "typescriptreact",
    "go", "rust", "java", "c", "cpp", "cuda", "ruby", "sh", "bash",
  },
  root_markers = { ".git", "pyproject.toml", "package.json", "go.mod", "Cargo.toml" },
}
