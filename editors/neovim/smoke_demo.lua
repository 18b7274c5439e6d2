-- Headless test of the kg_ls Lua module: `require('kg_ls').setup()` as a user would call it,
-- on the bundled example workspace (examples/demo). On Neovim 0.7 to 0.10 this exercises the
-- FileType autocommand and `vim.lsp.start_client`; on 0.11+ `vim.lsp.config`/`vim.lsp.enable`.
-- With KG_NVIM_MODE=runtime (0.11+) it uses only lsp/kg_ls.lua from 'runtimepath':
-- `vim.lsp.config('kg_ls', { cmd = ... })` and `vim.lsp.enable('kg_ls')`, as the README shows.
-- Usage (smoke.sh runs it):
--   KG_LS=target/debug/kg-ls KG_DEMO=examples/demo KG_NVIM_RTP=editors/neovim \
--     nvim --headless --noplugin -u NONE -c "luafile editors/neovim/smoke_demo.lua"
-- Exits 0 when every answer is as expected, non-zero otherwise, printing what it saw.
local bin = os.getenv('KG_LS') or 'kg-ls'
local demo = vim.fn.fnamemodify(assert(os.getenv('KG_DEMO'), 'KG_DEMO: examples/demo'), ':p'):gsub('/$', '')
local rtp = assert(os.getenv('KG_NVIM_RTP'), 'KG_NVIM_RTP: editors/neovim')
local failures = 0

local function check(what, ok, detail)
  io.stdout:write((ok and 'ok   ' or 'FAIL ') .. what .. (detail and (': ' .. detail) or '') .. '\n')
  if not ok then failures = failures + 1 end
end

local function finish()
  io.stdout:write(failures == 0 and 'all passed\n' or (failures .. ' failed\n'))
  vim.cmd((failures == 0) and 'qall!' or 'cquit!')
end

local function clients_of(buf)
  if vim.lsp.get_clients then return vim.lsp.get_clients({ bufnr = buf, name = 'kg_ls' }) end
  local found = {}
  for _, c in pairs(vim.lsp.buf_get_clients(buf)) do
    if c.name == 'kg_ls' then table.insert(found, c) end
  end
  return found
end

-- The first answer of kg_ls to `method`, or nil and what came back instead.
local function request(buf, method, params)
  local answers, err = vim.lsp.buf_request_sync(buf, method, params, 10000)
  for _, a in pairs(answers or {}) do
    if a.error then return nil, vim.inspect(a.error) end
    return a.result, vim.inspect(a.result)
  end
  return nil, err or 'no answer'
end

vim.opt.runtimepath:prepend(rtp)
vim.cmd('filetype on')
if os.getenv('KG_NVIM_MODE') == 'runtime' then
  vim.lsp.config('kg_ls', { cmd = { bin } })
  vim.lsp.enable('kg_ls')
else
  require('kg_ls').setup({ cmd = { bin } })
end

vim.cmd('edit ' .. vim.fn.fnameescape(demo .. '/docs/nvim-smoke-test.md'))
local buf = vim.api.nvim_get_current_buf()
check('filetype', vim.bo[buf].filetype == 'markdown', vim.bo[buf].filetype)

local client
vim.wait(10000, function()
  client = clients_of(buf)[1]
  return client ~= nil and (client.initialized or (client.server_capabilities ~= nil and next(client.server_capabilities) ~= nil))
end, 20)
check('client attached and initialized', client ~= nil)
if not client then return finish() end
check('root from .kg-ls.toml', client.config.root_dir == demo, client.config.root_dir)

local line = 'Configure tokio before you pick an async ru'
vim.api.nvim_buf_set_lines(buf, 0, -1, false, { line })
local pos = function(col)
  return { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = 0, character = col } }
end

local r, seen = request(buf, 'textDocument/completion', pos(#line))
local items = r and (r.items or r) or {}
check('completion "async ru"', items[1] and items[1].label == 'async runtime', items[1] and items[1].label or seen)

r, seen = request(buf, 'textDocument/hover', pos(12))
local value = r and r.contents and r.contents.value or ''
check('hover "tokio"', value:find('### tokio', 1, true) ~= nil and value:find('tokio-rs', 1, true) ~= nil, value ~= '' and value:sub(1, 40):gsub('\n', ' ') or seen)

r, seen = request(buf, 'workspace/symbol', { query = 'tkrt' })
local first = r and r[1]
check('workspace symbols "tkrt"', first ~= nil and first.location.uri:find('tokio%%20runtime%.md$') ~= nil, first and (first.name .. ' ' .. first.location.uri) or seen)

r, seen = request(buf, 'textDocument/definition', pos(12))
local loc = r and (r.uri and r or r[1])
check('definition "tokio"', loc ~= nil and loc.uri:find('/kg/runtime/tokio%.md$') ~= nil, loc and loc.uri or seen)

local stopped = false
if client.stop then
  if vim.fn.has('nvim-0.11') == 1 then client:stop() else client.stop() end
  stopped = vim.wait(3000, function()
    if vim.fn.has('nvim-0.11') == 1 then return client:is_stopped() end
    return client.is_stopped()
  end, 20)
end
check('client stopped', stopped)
finish()
