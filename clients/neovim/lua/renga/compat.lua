-- Calls whose form changed between Neovim 0.10 and 0.11 (method calls on the client object,
-- vim.str_byteindex's signature, finding clients).
local M = {}

local has_011 = vim.fn.has("nvim-0.11") == 1

---@return boolean ok, integer|nil request_id
function M.request(client, method, params, handler, bufnr)
  if has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.cancel(client, id)
  if has_011 then
    return client:cancel_request(id)
  end
  return client.cancel_request(id)
end

function M.notify(client, method, params)
  if has_011 then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

function M.supports(client, method, bufnr)
  if has_011 then
    return client:supports_method(method, bufnr)
  end
  return client.supports_method(method, { bufnr = bufnr })
end

--- The first renga client attached to `bufnr` (any buffer when nil).
function M.client(bufnr)
  return vim.lsp.get_clients({ name = "renga", bufnr = bufnr })[1]
end

--- Byte column of an LSP `character` on `row` of `bufnr`, in the client's position encoding.
function M.byte_col(bufnr, row, character, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  if encoding == "utf-8" then
    return math.min(character, #line)
  end
  local ok, col = pcall(vim.str_byteindex, line, encoding, character, false)
  if ok then
    return col
  end
  ok, col = pcall(vim.str_byteindex, line, character, encoding == "utf-16")
  return ok and col or #line
end

--- Length of `line` in LSP units of `encoding`.
function M.lsp_length(line, encoding)
  if encoding == "utf-8" then
    return #line
  end
  local ok, n = pcall(vim.str_utfindex, line, encoding)
  if ok and type(n) == "number" then
    return n
  end
  local u32, u16 = vim.str_utfindex(line)
  return encoding == "utf-16" and u16 or u32
end

return M
