-- Headless smoke test: Neovim's built-in LSP client (0.7+) starts the real kg-ls on a
-- workspace and asks for completion, hover, workspace symbols and definition.
-- The workspace must hold Terraphim's knowledge graph (see smoke.sh, which builds one from
-- tests/fixtures). Usage:
--   KG_LS=target/debug/kg-ls KG_WS=/path/to/workspace nvim --headless --noplugin -u NONE -c "luafile smoke.lua"
-- Exits 0 when every answer is as expected, non-zero otherwise, printing what it saw.
local bin = os.getenv('KG_LS') or 'kg-ls'
local root = assert(os.getenv('KG_WS'), 'KG_WS: the workspace folder')
local doc = root .. '/smoke-test.md'
local failures = 0

local function check(what, ok, detail)
  io.stdout:write((ok and 'ok   ' or 'FAIL ') .. what .. (detail and (': ' .. detail) or '') .. '\n')
  if not ok then failures = failures + 1 end
end

local function finish()
  io.stdout:write(failures == 0 and 'all passed\n' or (failures .. ' failed\n'))
  vim.cmd((failures == 0) and 'qall!' or 'cquit!')
end

vim.cmd('edit ' .. vim.fn.fnameescape(doc))
local buf = vim.api.nvim_get_current_buf()
vim.api.nvim_buf_set_lines(buf, 0, -1, false, { 'Run yarn install then bun i' })
vim.bo[buf].filetype = 'markdown'

local client_id = vim.lsp.start_client({
  name = 'kg_ls',
  cmd = { bin },
  root_dir = root,
  workspace_folders = { { uri = vim.uri_from_fname(root), name = 'ws' } },
})
check('client started', client_id ~= nil)
vim.lsp.buf_attach_client(buf, client_id)
local client = vim.lsp.get_client_by_id(client_id)
vim.wait(10000, function() return client.initialized end, 20)
check('initialized', client.initialized)

local params = function(line, col)
  return { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = line, character = col } }
end

local r = client.request_sync('textDocument/completion', params(0, 27), 10000, buf)
local items = r and r.result and (r.result.items or r.result) or {}
check('completion', items[1] and items[1].label == 'bun install', items[1] and items[1].label or vim.inspect(r))

r = client.request_sync('textDocument/hover', params(0, 6), 10000, buf)
local value = r and r.result and r.result.contents and r.result.contents.value or ''
check('hover', value:find('bun install', 1, true) ~= nil and value:find('Fast package installation', 1, true) ~= nil, value:sub(1, 60))

r = client.request_sync('workspace/symbol', { query = 'knowledge graph' }, 10000, buf)
local first = r and r.result and r.result[1]
check('workspace symbols', first ~= nil and first.name:lower():find('knowledge') ~= nil, first and first.name or vim.inspect(r))

r = client.request_sync('textDocument/definition', params(0, 6), 10000, buf)
local loc = r and r.result and (r.result.uri and r.result or r.result[1])
check('definition', loc ~= nil and loc.uri:find('bun%%20install.md') ~= nil, loc and loc.uri or vim.inspect(r))

-- The performance monitor's figures, as an editor command would fetch them.
r = client.request_sync('workspace/executeCommand', { command = 'kg-ls.stats', arguments = {} }, 10000, buf)
local stats = r and r.result or {}
local completion_stats
for _, m in ipairs(stats.methods or {}) do
  if m.method == 'textDocument/completion' then completion_stats = m end
end
check('kg-ls.stats', completion_stats ~= nil and completion_stats.count >= 1 and completion_stats.p50_us ~= nil
  and stats.workspace ~= nil and stats.workspace.concepts > 0, vim.inspect(completion_stats))

client.stop()
vim.wait(3000, function() return client.is_stopped() end, 20)
finish()
