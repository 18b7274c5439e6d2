-- The driver of editors/neovim/e2e.sh: it runs in its own headless Neovim and drives another
-- Neovim (the editor under test, started by e2e.sh with the README's init.lua and filetype
-- plugins on) over its RPC socket, as a user at the keyboard would: every action is keys sent
-- with nvim_input (insert mode, typing, <C-x><C-o>, <C-y>, K, gd, <C-]>, :commands, <CR> in the
-- quickfix window); only the checks read state back (complete_info(), floating windows, the
-- quickfix list, the cursor's file and position).
-- Every wait has a timeout; a failed check is reported and counted, and the driver exits
-- non-zero when any failed.
--
-- Environment (set by e2e.sh): KG_E2E_ADDR (the editor's socket), KG_E2E_WS (the workspace,
-- a copy of examples/demo), KG_E2E_NAME (what this run is, for the output) and KG_E2E_MODE
-- (`optout`: only check that the opt-outs leave the buffer alone).
local addr = assert(os.getenv('KG_E2E_ADDR'), 'KG_E2E_ADDR')
local ws = assert(os.getenv('KG_E2E_WS'), 'KG_E2E_WS')
local name = os.getenv('KG_E2E_NAME') or 'neovim'
local failures = 0

local function say(text)
  io.stdout:write(text .. '\n')
  io.stdout:flush()
end

local function check(what, ok, detail)
  say(('%s %s: %s%s'):format(ok and 'ok  ' or 'FAIL', name, what, detail and (' (' .. detail .. ')') or ''))
  if not ok then
    failures = failures + 1
  end
  return ok
end

local ch
for _ = 1, 100 do
  local ok, id = pcall(vim.fn.sockconnect, 'pipe', addr, { rpc = true })
  if ok and id > 0 then
    ch = id
    break
  end
  vim.wait(100)
end
if not ch then
  say('FAIL ' .. name .. ': could not connect to the editor at ' .. addr)
  vim.cmd('cquit!')
end

local function rpc(method, ...)
  local value = vim.rpcrequest(ch, method, ...)
  if value == vim.NIL then
    return nil
  end
  return value
end
-- Runs Lua in the editor under test (state reads only; actions are keys).
local function lua(code, ...)
  return rpc('nvim_exec_lua', code, { ... })
end
local function keys(k)
  rpc('nvim_input', k)
end
-- Polls `probe` until it returns a truthy value or `ms` pass; returns its last value.
local function wait_for(ms, probe)
  local value
  vim.wait(ms, function()
    value = probe()
    return value and true or false
  end, 50)
  return value
end
-- Waits until the editor is idle in `mode` (keys sent with nvim_input are processed in order).
local function wait_mode(mode)
  return wait_for(5000, function()
    local m = rpc('nvim_get_mode')
    return not m.blocking and m.mode == mode
  end)
end

local CLIENT = [[
  local buf = vim.api.nvim_get_current_buf()
  local list = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = buf }) or vim.lsp.buf_get_clients(buf)
  for _, c in pairs(list) do
    local stopped
    if vim.fn.has('nvim-0.11') == 1 then stopped = c:is_stopped() else stopped = c.is_stopped() end
    if c.name == 'kg_ls' and not stopped and (c.initialized or (c.server_capabilities and next(c.server_capabilities))) then
      return c.id
    end
  end
  return nil
]]

-- The completion popup's words, once it shows (nil after the timeout).
local function popup_words()
  return wait_for(10000, function()
    local info = rpc('nvim_call_function', 'complete_info', { { 'pum_visible', 'items' } })
    if info.pum_visible == 1 and #info.items > 0 then
      local words = {}
      for _, item in ipairs(info.items) do
        table.insert(words, item.word)
      end
      return words
    end
    return nil
  end)
end

local function current_line()
  return rpc('nvim_get_current_line')
end

local function buffer_file()
  return rpc('nvim_buf_get_name', 0)
end

-- Types `text` on a new line at the end of the buffer, in insert mode.
local function type_line(text)
  keys('<Esc>Go' .. text)
  return wait_for(5000, function()
    return current_line() == text and rpc('nvim_get_mode').mode == 'i'
  end)
end

local function has(list, word)
  return vim.tbl_contains(list or {}, word)
end

local function main()
say('-- ' .. name .. ': ' .. rpc('nvim_exec', 'version', true):match('NVIM v[^\n]*'))

-- The file a user opens: a new markdown file in the example.
local client = wait_for(20000, function()
  return lua(CLIENT)
end)
if not check('kg_ls attached to the markdown buffer', client ~= nil, lua('return vim.bo.filetype')) then
  say(rpc('nvim_exec', 'messages', true))
  return
end

local filetype = rpc('nvim_exec', 'filetype', true)
check('filetype plugins are on, as for a new user', filetype:find('plugin:ON', 1, true) ~= nil, filetype)

if os.getenv('KG_E2E_MODE') == 'optout' then
  local o = lua([[return { vim.bo.omnifunc, vim.bo.tagfunc, vim.fn.maparg("K", "n", false, true).desc or "",
    vim.fn.maparg("gd", "n", false, true).buffer or 0 }]])
  -- 0.7's markdown ftplugin sets htmlcomplete; 0.11's sets none, and Neovim sets its own.
  check('omnifunc = false leaves omnifunc alone', o[1]:find('kg_ls') == nil
    and (vim.fn.has('nvim-0.11') == 1 or o[1] == 'htmlcomplete#CompleteTags'), o[1])
  check('tagfunc = false leaves tagfunc to Neovim', o[2]:find('kg_ls') == nil and (vim.fn.has('nvim-0.10') == 1 or o[2] == ''), o[2])
  check('keymaps = false maps no K', not o[3]:find('kg%-ls'), o[3])
  check('keymaps = false maps no gd', o[4] ~= 1, tostring(o[4]))
  return
end

local opts = lua('return { vim.bo.omnifunc, vim.bo.tagfunc, vim.fn.maparg("K", "n", false, true).buffer, vim.fn.maparg("gd", "n", false, true).buffer }')
check('omnifunc is the module\'s, not the ftplugin\'s', opts[1] == "v:lua.require'kg_ls'.omnifunc", opts[1])
check('tagfunc is the LSP one', opts[2] == 'v:lua.vim.lsp.tagfunc', opts[2])
check('K is buffer-local', opts[3] == 1, tostring(opts[3]))
check('gd is buffer-local', opts[4] == 1, tostring(opts[4]))

-- Semantic tokens (Neovim 0.11 asks for them by default): a typed line's `tokio` gets the
-- @lsp.type.type highlight and `tokio-rs`, a synonym, the synonym modifier's; code does not.
if vim.fn.has('nvim-0.11') == 1 then
  type_line('Tokens: tokio, tokio-rs and `tokio` in code')
  keys('<Esc>')
  wait_mode('n')
  local TOKEN_GROUPS = [[
    local row, col = ...
    local out = {}
    for _, t in ipairs(vim.inspect_pos(0, row, col).semantic_tokens) do
      table.insert(out, t.opts.hl_group)
    end
    table.sort(out)
    return table.concat(out, ' ')
  ]]
  local row = rpc('nvim_win_get_cursor', 0)[1] - 1
  local line = current_line()
  local at = function(word, from)
    return (line:find(word, from or 1, true) or 0) - 1
  end
  local groups = wait_for(10000, function()
    local g = lua(TOKEN_GROUPS, row, at('tokio'))
    return g:find('@lsp.type.type', 1, true) and g or nil
  end) or lua(TOKEN_GROUPS, row, at('tokio'))
  check('semantic tokens mark tokio with @lsp.type.type', groups:find('@lsp.type.type', 1, true) ~= nil, groups)
  check('tokio is canonical', groups:find('@lsp.mod.canonical', 1, true) ~= nil, groups)
  local synonym = lua(TOKEN_GROUPS, row, at('tokio-rs'))
  check('tokio-rs is marked as a synonym', synonym:find('@lsp.mod.synonym', 1, true) ~= nil, synonym)
  local code = lua(TOKEN_GROUPS, row, at('`tokio`') + 1)
  check('tokio in inline code is not marked', code == '', code)
end

-- Completion: `async r` offers the multi-word terms.
type_line('Configure tokio before you pick an async r')
keys('<C-x><C-o>')
local words = popup_words()
check('<C-x><C-o> after "async r" offers "async rust" and "async runtime"',
  has(words, 'async rust') and has(words, 'async runtime'), words and table.concat(words, ', ', 1, math.min(#words, 8)) or 'no popup')
keys('<C-e><Esc>')
wait_mode('n')

-- Accepting the first candidate for `async ru` leaves `async runtime` in the line.
type_line('Pick an async ru')
keys('<C-x><C-o>')
words = popup_words()
check('the first candidate for "async ru" is "async runtime"', words and words[1] == 'async runtime', words and words[1] or 'no popup')
if words then
  -- The first candidate is inserted as soon as the popup shows; <C-y> accepts it.
  wait_for(3000, function()
    return current_line() == 'Pick an async runtime'
  end)
  keys('<C-y>')
end
keys('<Esc>')
wait_mode('n')
check('accepting it writes "async runtime"', current_line() == 'Pick an async runtime', current_line())

-- A capitalised prefix (a sentence's first word): `Toki` offers `Tokio`, in the case typed.
type_line('Toki')
keys('<C-x><C-o>')
words = popup_words()
check('"Toki" offers "Tokio"', has(words, 'Tokio'), words and table.concat(words, ', ', 1, math.min(#words, 8)) or 'no popup')
keys('<C-e><Esc>')
wait_mode('n')

-- A bare `[[`: <C-x><C-o> offers terms that close the link.
type_line('See [[')
keys('<C-x><C-o>')
words = popup_words()
local closed = words ~= nil and #words > 0
for _, w in ipairs(words or {}) do
  closed = closed and w:sub(-2) == ']]'
end
check('<C-x><C-o> after "[[" offers terms closed with "]]"', closed,
  words and table.concat(words, ', ', 1, math.min(#words, 8)) or 'no popup')
keys('<C-e><Esc>')
wait_mode('n')

-- Terminology checks: the example's graph says to avoid "async engine" (kg/runtime/async
-- runtime.md). Typing it shows a warning on that line; gra on it offers the fix, and picking
-- it writes "async runtime".
type_line('The async engine is fast')
keys('<Esc>')
wait_mode('n')
local DIAG = [[
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  for _, d in ipairs(vim.diagnostic.get(0, { lnum = row })) do
    if d.code == 'avoided-term' then return { d.message, d.severity, d.col, d.end_col } end
  end
  return nil
]]
local diag = wait_for(10000, function()
  return lua(DIAG)
end)
check('typing "async engine" shows an avoided-term warning at the words',
  diag ~= nil and diag[2] == 2 and diag[3] == 4 and diag[4] == 16 and diag[1]:find('async runtime', 1, true) ~= nil,
  diag and table.concat({ diag[1], diag[2], diag[3], diag[4] }, ' ') or lua('return vim.inspect(vim.diagnostic.get(0))'))
keys('0fn')
wait_mode('n')
keys('gra')
-- The actions are listed by vim.ui.select (an inputlist prompt here, when it asks): the first
-- is the fix.
-- (Only nvim_get_mode may be called while the prompt blocks: other calls wait for it.)
-- A slow machine may take seconds to answer: the keys go only to a prompt that is there, since
-- typed ahead of it they would move the cursor, and the prompt would then block every call.
local prompt = wait_for(15000, function()
  local m = rpc('nvim_get_mode')
  if m.blocking or m.mode ~= 'n' then
    return 'prompt'
  end
  return current_line() == 'The async runtime is fast' and 'applied' or nil
end)
if prompt == 'prompt' then
  keys('1<CR>')
end
local fixed = wait_for(5000, function()
  return current_line() == 'The async runtime is fast' and current_line() or nil
end)
check('gra (then 1 at its prompt) replaces it with "async runtime"', fixed ~= nil, current_line())
check('and the warning goes', wait_for(10000, function()
  return lua(DIAG) == nil
end), vim.inspect(lua(DIAG)))
keys('<Esc>')
wait_mode('n')

-- Hover: K on `tokio` opens a float with its definition.
keys('gg0/tokio<CR>')
wait_mode('n')
keys('K')
local float_text = wait_for(10000, function()
  return lua([[
    for _, w in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(w).relative ~= '' then
        return table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(w), 0, -1, false), '\n')
      end
    end
    return nil
  ]])
end)
check('K on "tokio" shows its definition in a float',
  float_text ~= nil and float_text:find('tokio', 1, true) ~= nil and float_text:find('asynchronous runtime', 1, true) ~= nil,
  float_text and float_text:sub(1, 60):gsub('\n', ' ') or 'no float')
-- Moving the cursor closes the hover float.
keys('l')
wait_mode('n')
keys('h')
wait_for(3000, function()
  return lua('for _, w in ipairs(vim.api.nvim_list_wins()) do if vim.api.nvim_win_get_config(w).relative ~= "" then return nil end end return true')
end)

-- Go to definition: gd on `tokio` opens kg/runtime/tokio.md at its heading.
local start_file = buffer_file()
local function jumped()
  return wait_for(10000, function()
    local file = buffer_file()
    if file:find('/kg/runtime/tokio%.md$') then
      return file
    end
    return nil
  end)
end
keys('gd')
local file = jumped()
local row = rpc('nvim_win_get_cursor', 0)[1]
check('gd on "tokio" goes to kg/runtime/tokio.md line 1', file ~= nil and row == 1, (file or buffer_file()) .. ':' .. row)

-- Back, and the same through the tag stack: <C-]> uses tagfunc.
keys(':edit ' .. vim.fn.fnameescape(start_file) .. '<CR>')
wait_for(5000, function()
  return buffer_file() == start_file
end)
keys('gg0/tokio<CR>')
wait_mode('n')
keys('<C-]>')
file = jumped()
row = rpc('nvim_win_get_cursor', 0)[1]
check('<C-]> on "tokio" goes to kg/runtime/tokio.md line 1', file ~= nil and row == 1, (file or buffer_file()) .. ':' .. row)
keys('<C-t>')
wait_for(5000, function()
  return buffer_file() == start_file
end)
check('<C-t> comes back', buffer_file() == start_file, buffer_file())

-- Workspace symbols: the README's command fills the quickfix list.
keys(':lua vim.lsp.buf.workspace_symbol("tkrt")<CR>')
local symbol = wait_for(10000, function()
  return lua([[
    for _, e in ipairs(vim.fn.getqflist()) do
      local f = vim.api.nvim_buf_get_name(e.bufnr)
      if f:find('tokio runtime%.md$') then return f end
    end
    return nil
  ]])
end)
check('workspace_symbol("tkrt") lists kg/runtime/tokio runtime.md', symbol ~= nil,
  symbol or tostring(#rpc('nvim_call_function', 'getqflist', {})) .. ' quickfix entries')
keys('<Esc>:cclose<CR>')
wait_for(5000, function()
  return buffer_file() == start_file
end)

-- Call hierarchy over the graph (0.7 and 0.11): incoming_calls() on `tokio` fills the quickfix
-- list with the concepts whose related:: names it, each at that entry in its file (byte column).
do
  local runtime_file = ws .. '/kg/runtime/async runtime.md'
  local entry_row, entry_col
  for i, l in ipairs(vim.fn.readfile(runtime_file)) do
    if l:find('^related::') then
      entry_row, entry_col = i, l:find('tokio', 1, true)
      break
    end
  end
  keys('gg0/tokio<CR>')
  wait_mode('n')
  keys(':lua vim.lsp.buf.incoming_calls()<CR>')
  local call = wait_for(10000, function()
    return lua([[
      for _, e in ipairs(vim.fn.getqflist()) do
        local f = vim.api.nvim_buf_get_name(e.bufnr)
        if f:find('/kg/runtime/async runtime%.md$') then return { f, e.lnum, e.col, e.text } end
      end
      return nil
    ]])
  end)
  check('incoming_calls() on "tokio" lists async runtime at its related:: entry',
    call ~= nil and call[1] == runtime_file and call[2] == entry_row and call[3] == entry_col and call[4] == 'async runtime',
    call and table.concat({ call[1], call[2], call[3], call[4] }, ':') .. (' (want line %s, col %s)'):format(entry_row, entry_col)
      or tostring(#rpc('nvim_call_function', 'getqflist', {})) .. ' quickfix entries')
  keys('<Esc>:cclose<CR>')
  wait_for(5000, function()
    return buffer_file() == start_file
  end)
end

-- Knowledge-base search: `kilobytes` is in the prose of docs/search.md and is no concept's
-- term, so only the full-text index finds it. Its line has em dashes before it (three bytes,
-- one UTF-16 unit each): the quickfix column is in bytes.
local search_file = ws .. '/docs/search.md'
local search_row, search_col
for i, l in ipairs(vim.fn.readfile(search_file)) do
  local at = l:find('kilobytes', 1, true)
  if at then
    search_row, search_col = i, at
    break
  end
end
local QF = [[
  local out = {}
  for _, e in ipairs(vim.fn.getqflist()) do
    table.insert(out, { file = vim.api.nvim_buf_get_name(e.bufnr), lnum = e.lnum, col = e.col, text = e.text })
  end
  return { items = out, title = vim.fn.getqflist({ title = 1 }).title, buftype = vim.bo.buftype }
]]
-- Runs a search with `type_query` (keys) until the quickfix list has an entry for which
-- `want` is true: the index may still be building when the first query comes, and a user
-- would ask again.
local function search(type_query, want)
  local deadline = vim.loop.now() + 20000
  repeat
    keys('<Esc>')
    wait_mode('n')
    lua('vim.fn.setqflist({}, "r", { title = "", items = {} })')
    type_query()
    local qf = wait_for(3000, function()
      local q = lua(QF)
      for _, e in ipairs(q.items) do
        if want(e) then
          return q
        end
      end
      return nil
    end)
    if qf then
      return qf
    end
  until vim.loop.now() > deadline
  return lua(QF)
end
local function describe_qf(q)
  local out = {}
  for i, e in ipairs(q.items) do
    if i > 3 then break end
    table.insert(out, ('%s:%d:%d %s'):format(vim.fn.fnamemodify(e.file, ':t'), e.lnum, e.col, e.text:sub(1, 50)))
  end
  local said = #q.items == 0 and ('; messages: ' .. rpc('nvim_exec', 'messages', true):gsub('\n', ' | '):sub(-200)) or ''
  return ('%q, %d entries: %s%s'):format(q.title or '', #q.items, table.concat(out, ' | '), said)
end

-- The lines typed above are saved first, as a user does before jumping to other files (0.7's
-- 'nohidden' refuses to leave a modified buffer).
keys('<Esc>:write<CR>')
wait_for(5000, function()
  return not lua('return vim.bo.modified')
end)
local qf = search(function()
  keys(':KgSearch kilobytes<CR>')
end, function(e)
  return e.file:find('/docs/search%.md$') ~= nil
end)
local hit = qf.items[1]
check(':KgSearch kilobytes lists docs/search.md first, at the word (byte column)',
  hit ~= nil and hit.file == search_file and hit.lnum == search_row and hit.col == search_col,
  describe_qf(qf) .. (' (want line %s, col %s)'):format(search_row, search_col))
check('its text is the title and the snippet', hit ~= nil and hit.text:find('^How term search works: ') ~= nil
  and hit.text:find('kilobytes', 1, true) ~= nil, hit and hit.text or 'no entry')
check(':KgSearch opens the quickfix window', qf.buftype == 'quickfix', qf.buftype)
keys('gg<CR>')
local at = wait_for(5000, function()
  if buffer_file() == search_file then
    return rpc('nvim_win_get_cursor', 0)
  end
  return nil
end)
check('<CR> on it opens docs/search.md at "kilobytes"', at ~= nil and at[1] == search_row and at[2] == search_col - 1,
  at and ('%s:%d:%d'):format(buffer_file(), at[1], at[2]) or buffer_file())
check('the cursor is on the word', at ~= nil and rpc('nvim_call_function', 'expand', { '<cword>' }) == 'kilobytes',
  rpc('nvim_call_function', 'expand', { '<cword>' }))

-- Without an argument :KgSearch asks; `promise` is a synonym of the concept future, so the
-- documents about futures come too, and the list's title says why.
qf = search(function()
  keys(':KgSearch<CR>')
  wait_for(3000, function()
    return rpc('nvim_get_mode').mode == 'c'
  end)
  keys('promise<CR>')
end, function(e)
  return e.file:find('/docs/cancellation%.md$') ~= nil
end)
local found = false
for _, e in ipairs(qf.items) do
  found = found or e.file == ws .. '/docs/cancellation.md'
end
check(':KgSearch, then "promise" at its prompt, lists docs/cancellation.md (about futures)', found, describe_qf(qf))
check('the quickfix title says the concept future widened it', (qf.title or ''):find('concept future', 1, true) ~= nil, qf.title)

-- :KgLsRebuildIndex empties the index and builds it again: the word is found again after it.
keys('<Esc>:cclose<CR>:KgLsRebuildIndex<CR>')
local said = wait_for(5000, function()
  local m = rpc('nvim_exec', 'messages', true)
  return m:find('rebuilding the search index', 1, true) and m or nil
end)
check(':KgLsRebuildIndex says the index is being rebuilt', said ~= nil, said and 'ok' or rpc('nvim_exec', 'messages', true):sub(-200))
qf = search(function()
  keys(':KgSearch kilobytes<CR>')
end, function(e)
  return e.file == search_file
end)
check('after it :KgSearch kilobytes finds docs/search.md again', qf.items[1] ~= nil and qf.items[1].file == search_file, describe_qf(qf))
keys('<Esc>:cclose<CR>:edit ' .. vim.fn.fnameescape(start_file) .. '<CR>')
wait_for(5000, function()
  return buffer_file() == start_file
end)

-- References: grr on `tokio` (0.11's default key; the module maps it on 0.7 too) lists its
-- mentions in the documents, at the word (byte column), and its definition.
keys('gg0/tokio<CR>')
wait_mode('n')
local guide = ws .. '/docs/getting-started.md'
local guide_row, guide_col
-- Its first mention in prose (the ones before it are in code blocks).
for i, l in ipairs(vim.fn.readfile(guide)) do
  local from = l:find('the tokio crate', 1, true)
  if from then
    guide_row, guide_col = i, from + 4
    break
  end
end
qf = search(function()
  keys('gg0/tokio<CR>')
  wait_mode('n')
  keys('grr')
end, function(e)
  return e.file == guide
end)
local mention, definition = nil, false
for _, e in ipairs(qf.items) do
  if e.file == guide and mention == nil then
    mention = e
  end
  definition = definition or e.file:find('/kg/runtime/tokio%.md$') ~= nil
end
check('grr on "tokio" lists docs/getting-started.md at its first mention', mention ~= nil
  and mention.lnum == guide_row and mention.col == guide_col,
  describe_qf(qf) .. (' (want line %s, col %s)'):format(guide_row, guide_col))
check('and the definition in kg/runtime/tokio.md', definition, describe_qf(qf))
-- The list is emptied, so that the checks after this one read only their own.
lua('vim.fn.setqflist({}, "r", { title = "", items = {} })')
keys('<Esc>:cclose<CR>:edit ' .. vim.fn.fnameescape(start_file) .. '<CR>')
wait_for(5000, function()
  return buffer_file() == start_file
end)

-- Outline: the README's :lua vim.lsp.buf.document_symbol() on a concept file lists the concept,
-- its synonyms, related concepts and properties in the location list (the quickfix list on
-- 0.7).
local concept_file = ws .. '/kg/runtime/tokio.md'
keys(':edit ' .. vim.fn.fnameescape(concept_file) .. '<CR>')
wait_for(10000, function()
  return buffer_file() == concept_file and lua(CLIENT) ~= nil
end)
keys(':lua vim.lsp.buf.document_symbol()<CR>')
local outline = wait_for(10000, function()
  return lua([[
    local lists = { vim.fn.getqflist() }
    for _, w in ipairs(vim.api.nvim_list_wins()) do table.insert(lists, vim.fn.getloclist(w)) end
    for _, list in ipairs(lists) do
      local texts = {}
      for _, e in ipairs(list) do
        if vim.api.nvim_buf_get_name(e.bufnr):find('tokio%.md$') then table.insert(texts, e.text) end
      end
      if #texts > 0 then return table.concat(texts, ' | ') end
    end
    return nil
  ]])
end)
check('document_symbol() on kg/runtime/tokio.md lists its synonyms, related concepts and properties',
  outline ~= nil and outline:find('tokio-rs', 1, true) ~= nil and outline:find('tokio crate', 1, true) ~= nil
    and outline:find('join set', 1, true) ~= nil and outline:find('category', 1, true) ~= nil,
  outline or 'no location list')
keys('<Esc>:lclose<CR>:cclose<CR>:edit ' .. vim.fn.fnameescape(start_file) .. '<CR>')
wait_for(5000, function()
  return buffer_file() == start_file
end)

-- Document highlight: the README's :lua vim.lsp.buf.document_highlight() on `Tokio` in a new
-- document highlights every mention of the concept tokio, its synonyms included (tokio-rs,
-- tokio crate), and nothing else: not `tokio runtime` (another concept), not `tokio` in code.
local hl_file = ws .. '/docs/highlight.md'
keys(':edit ' .. vim.fn.fnameescape(hl_file) .. '<CR>')
wait_for(10000, function()
  return buffer_file() == hl_file and lua(CLIENT) ~= nil
end)
local hl_line = 'Tokio and tokio-rs, not tokio runtime; `tokio` in code; the tokio crate too.'
type_line(hl_line)
keys('<Esc>')
wait_mode('n')
local hl_row = rpc('nvim_win_get_cursor', 0)[1] - 1
local want_hl = {}
for _, word in ipairs({ 'Tokio', 'tokio-rs', 'tokio crate' }) do
  local from = hl_line:find(word, 1, true)
  table.insert(want_hl, ('%d:%d-%d:%d LspReferenceText'):format(hl_row, from - 1, hl_row, from - 1 + #word))
end
want_hl = table.concat(want_hl, ' ')
-- Every LSP reference highlight in the buffer, in any namespace (0.7: vim_lsp_references, by
-- nvim_buf_add_highlight; 0.11: nvim.lsp.references, by extmarks), as row:col-row:col group.
local HIGHLIGHTS = [[
  local marks = {}
  for _, ns in pairs(vim.api.nvim_get_namespaces()) do
    for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do
      local d = m[4]
      if d.hl_group and d.hl_group:find('^LspReference') then
        table.insert(marks, { m[2], m[3], d.end_row or -1, d.end_col or -1, d.hl_group })
      end
    end
  end
  table.sort(marks, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
  local out = {}
  for _, m in ipairs(marks) do table.insert(out, ('%d:%d-%d:%d %s'):format(unpack(m))) end
  return table.concat(out, ' ')
]]
keys('0')
wait_mode('n')
keys(':lua vim.lsp.buf.document_highlight()<CR>')
local highlights = wait_for(10000, function()
  local h = lua(HIGHLIGHTS)
  return h ~= '' and h or nil
end) or lua(HIGHLIGHTS)
check('document_highlight() on "Tokio" highlights Tokio, tokio-rs and tokio crate, not tokio runtime or code',
  highlights == want_hl, ('got %q, want %q'):format(highlights, want_hl))
keys(':lua vim.lsp.buf.clear_references()<CR>')
check('clear_references() removes them', wait_for(5000, function()
  return lua(HIGHLIGHTS) == ''
end), lua(HIGHLIGHTS))
keys(':write<CR>')
wait_for(5000, function()
  return not lua('return vim.bo.modified')
end)
keys(':edit ' .. vim.fn.fnameescape(start_file) .. '<CR>')
wait_for(5000, function()
  return buffer_file() == start_file
end)

-- :help kg_ls opens the help file.
keys(':help kg_ls<CR>')
local help = wait_for(5000, function()
  local f = buffer_file()
  return f:find('doc/kg_ls%.txt$') and f or nil
end)
check(':help kg_ls opens doc/kg_ls.txt', help ~= nil, buffer_file())
keys(':close<CR>')
wait_for(5000, function()
  return buffer_file() == start_file
end)

-- Fixing .kg-ls.toml and running :KgLsRestart loads the new graph.
local extra = ws .. '/extra'
vim.fn.mkdir(extra, 'p')
local f = assert(io.open(extra .. '/zebra crossing.md', 'w'))
f:write('# zebra crossing\n\nA marked pedestrian crossing.\n\nsynonyms:: zebra stripes\n')
f:close()
f = assert(io.open(ws .. '/.kg-ls.toml', 'w'))
f:write('[kg]\npaths = ["kg", "glossary.json", "extra"]\n')
f:close()
keys(':KgLsRestart<CR>')
local new_client = wait_for(20000, function()
  local id = lua(CLIENT)
  return id ~= nil and id ~= client and id or nil
end)
check(':KgLsRestart starts a new client for the buffer', new_client ~= nil, tostring(new_client))
type_line('Cross at the zebra s')
keys('<C-x><C-o>')
words = popup_words()
check('after the restart "zebra s" offers "zebra stripes" from the new path', has(words, 'zebra stripes'),
  words and table.concat(words, ', ') or 'no popup')
keys('<C-e><Esc>')
wait_mode('n')

-- Rename: grn (0.11's default key; the module maps it on 0.7 too) on the concept "zebra
-- crossing" of the restart above, from a mention in this buffer. grn asks for the new name
-- (prepareRename's placeholder), and the answer renames the mention, the heading and the
-- concept file: both versions declare the rename resource operation, so the server sends the
-- file's RenameFile after its heading's edit.
type_line('Cross at the zebra crossing')
keys('<Esc>0fz')
wait_mode('n')
keys('grn')
local asked = wait_for(5000, function()
  local m = rpc('nvim_get_mode')
  return (m.blocking or m.mode == 'c') and 'asked' or nil
end)
check('grn on "zebra crossing" asks for the new name', asked ~= nil, rpc('nvim_get_mode').mode)
keys('<C-u>zebra walk<CR>')
local renamed = wait_for(10000, function()
  local m = rpc('nvim_get_mode')
  if m.blocking then
    return nil
  end
  return current_line() == 'Cross at the zebra walk' and current_line() or nil
end)
check('grn renames the mention in the buffer', renamed ~= nil, current_line())
local moved = wait_for(10000, function()
  return vim.fn.filereadable(extra .. '/zebra walk.md') == 1 and vim.fn.filereadable(extra .. '/zebra crossing.md') == 0
end)
check('and the concept file: extra/zebra crossing.md is now extra/zebra walk.md', moved,
  table.concat(vim.fn.readdir(extra), ', '))
local HEADING = [[
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(b):find('zebra walk%.md$') then
      return { vim.api.nvim_buf_is_loaded(b), vim.api.nvim_buf_get_lines(b, 0, 1, false)[1] or '', vim.bo[b].modified }
    end
  end
  return nil
]]
local on_disk = vim.fn.filereadable(extra .. '/zebra walk.md') == 1 and vim.fn.readfile(extra .. '/zebra walk.md', '', 1)[1] or nil
local heading = lua(HEADING)
local describe = ('buffer %s; on disk %q'):format(vim.inspect(heading), tostring(on_disk))
-- Both versions save the file's buffer, with the heading's edit, before they move it.
check('with its heading "# zebra walk", saved in the moved file', on_disk == '# zebra walk', describe)
if vim.fn.has('nvim-0.11') == 1 then
  -- 0.11 keeps the buffer it edited, under the new name.
  check('and 0.11 keeps its buffer, saved, under the new name', heading ~= nil and heading[1]
    and heading[2] == '# zebra walk' and not heading[3], describe)
else
  -- 0.7's util.rename deletes the old buffer and only adds (does not load) the new file's.
  check('and 0.7 leaves the new file unloaded', heading ~= nil and not heading[1], describe)
end
keys('<Esc>')
wait_mode('n')

-- Inlay hints (0.11's vim.lsp.inlay_hint): off by default, so enable() shows none; then
-- `inlay_hints = true` in the [navigation] table of .kg-ls.toml, :KgLsRestart (as the README
-- says after editing it; the server does not see the change without it) and enable() show
-- the canonical name after a synonym, inline, and none after the canonical name itself.
if vim.fn.has('nvim-0.11') == 1 then
  local INLINE = [[
    local row = ...
    local out = {}
    for name, ns in pairs(vim.api.nvim_get_namespaces()) do
      for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, { row, 0 }, { row, -1 }, { details = true })) do
        local d = m[4]
        if d.virt_text and d.virt_text_pos == 'inline' then
          local t = {}
          for _, chunk in ipairs(d.virt_text) do table.insert(t, chunk[1]) end
          table.insert(out, ('%d:%q'):format(m[3], table.concat(t)))
        end
      end
    end
    table.sort(out)
    return table.concat(out, ' ')
  ]]
  -- What the server answers for the line (a state read, to know the default was asked).
  local ASK = [[
    local row = ...
    local params = { textDocument = vim.lsp.util.make_text_document_params(0),
      range = { start = { line = row, character = 0 }, ['end'] = { line = row + 1, character = 0 } } }
    local answers = vim.lsp.buf_request_sync(0, 'textDocument/inlayHint', params, 5000) or {}
    local out = {}
    for _, a in pairs(answers) do table.insert(out, a.err and ('error ' .. tostring(a.err.message)) or #(a.result or {})) end
    return table.concat(out, ' ')
  ]]
  local hint_line = 'Hints: tokio-rs is tokio'
  type_line(hint_line)
  keys('<Esc>')
  wait_mode('n')
  local hint_row = rpc('nvim_win_get_cursor', 0)[1] - 1
  keys(':lua vim.lsp.inlay_hint.enable()<CR>')
  wait_mode('n')
  vim.wait(1500)
  local default_hints, default_answer = lua(INLINE, hint_row), lua(ASK, hint_row)
  check('by default inlay_hint.enable() shows no hint (the server answers none)',
    default_hints == '' and default_answer == '0', ('shown %q, answers %q'):format(default_hints, default_answer))
  local toml = table.concat(vim.fn.readfile(ws .. '/.kg-ls.toml'), '\n')
  f = assert(io.open(ws .. '/.kg-ls.toml', 'w'))
  f:write(toml .. '\n\n[navigation]\ninlay_hints = true\n')
  f:close()
  local before = lua(CLIENT)
  keys(':KgLsRestart<CR>')
  local restarted = wait_for(20000, function()
    local id = lua(CLIENT)
    return id ~= nil and id ~= before and id or nil
  end)
  check(':KgLsRestart after turning inlay_hints on starts a new client', restarted ~= nil, tostring(restarted))
  -- Neovim turns a buffer's hints off when its last client detaches (the restart's old one):
  -- the user enables them again.
  keys(':lua vim.lsp.inlay_hint.enable()<CR>')
  wait_mode('n')
  local synonym_end = hint_line:find('tokio-rs', 1, true) - 1 + #'tokio-rs'
  -- The label is `→ tokio`; Neovim draws paddingLeft as a space.
  local want_hint = ('%d:%q'):format(synonym_end, ' → tokio')
  local hints = wait_for(10000, function()
    local h = lua(INLINE, hint_row)
    return h ~= '' and h or nil
  end) or lua(INLINE, hint_row)
  check('inlay_hint.enable() shows " → tokio" inline after tokio-rs, and no hint after tokio',
    hints == want_hint, ('got %s, want %s; enabled: %s'):format(hints, want_hint,
      tostring(lua('return vim.lsp.inlay_hint.is_enabled({ bufnr = 0 })'))))
end

local errors = lua([[
  local out = {}
  for _, line in ipairs(vim.split(vim.api.nvim_exec('messages', true), '\n')) do
    if line:find('E%d+:') or line:find('Error') then table.insert(out, line) end
  end
  return table.concat(out, ' | ')
]])
check('no errors in :messages', errors == '', errors)

end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  check('the driver ran to the end', false, err)
end
say(failures == 0 and ('-- ' .. name .. ': all passed') or ('-- ' .. name .. ': ' .. failures .. ' failed'))
pcall(rpc, 'nvim_command', 'qall!')
vim.cmd(failures == 0 and 'qall!' or 'cquit!')
