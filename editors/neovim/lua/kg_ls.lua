--- kg-ls for Neovim's built-in LSP client (0.7 and later): completion, hover, workspace symbols,
--- go to definition and the knowledge-base search (`:KgSearch`, into the quickfix list) from a
--- knowledge graph. See `:help kg_ls` (doc/kg_ls.txt).
---
--- ```lua
--- require('kg_ls').setup({
---   -- Every field is optional; these are the defaults.
---   cmd = { 'kg-ls' },
---   filetypes = { 'markdown', 'text' },
---   root_markers = { '.kg-ls.toml', '.git' },
---   init_options = {},  -- empty: the workspace's .kg-ls.toml decides what is loaded
---   omnifunc = true,    -- set 'omnifunc' for <C-x><C-o>, over any ftplugin's
---   tagfunc = true,     -- set 'tagfunc' so that <C-]> and :tag go to a concept's file
---   keymaps = true,     -- buffer-local K (hover), gd (definition), gra (code action), and
---                       -- on 0.7 to 0.10 grr (references) and grn (rename)
--- })
--- ```
---
--- On Neovim 0.11+ this is `vim.lsp.config('kg_ls', opts)` and `vim.lsp.enable('kg_ls')`.
--- On 0.7 to 0.10 a FileType autocommand starts one client per root (the nearest folder with
--- a root marker, else the file's folder) through `vim.lsp.start_client` and attaches buffers
--- to it. In both cases `on_attach` below sets the buffer up; the user's `on_attach` runs after
--- it, and `capabilities` and any other client option are passed through.
---
--- The module's omnifunc exists because Vim's completion popup starts every candidate at one
--- column, while kg-ls answers `async r` with multi-word terms that replace `async r` and
--- single words that replace `r`: Neovim 0.7's `vim.lsp.omnifunc` then falls back to the
--- keyword start and drops every multi-word term, and 0.11's keeps only the first word of each.
--- Here every candidate starts at the leftmost edit and carries the text in between.
local M = {}

--- The defaults that `setup` merges the user's options into.
M.defaults = {
  cmd = { 'kg-ls' },
  filetypes = { 'markdown', 'text' },
  root_markers = { '.kg-ls.toml', '.git' },
  init_options = {},
  omnifunc = true,
  tagfunc = true,
  keymaps = true,
}

--- The options that are the module's, not the LSP client's.
local own_options = { 'filetypes', 'root_markers', 'omnifunc', 'tagfunc', 'keymaps' }

local uv = vim.uv or vim.loop
local has_011 = vim.fn.has('nvim-0.11') == 1

--- The options of the last `setup` (or the defaults, for lsp/kg_ls.lua without `setup`).
local current = vim.deepcopy(M.defaults)

--- The nearest folder at or above `path` that holds one of `markers`, or nil.
local function find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while dir and dir ~= '' do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
  return nil
end
M.find_root = find_root

local function with_defaults(opts)
  local config = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  if vim.tbl_isempty(config.init_options) then
    -- An empty table would be sent as a JSON array.
    config.init_options = vim.empty_dict()
  end
  return config
end

local function client_call(client, method, ...)
  if has_011 then
    return client[method](client, ...)
  end
  return client[method](...)
end

--- The buffer's kg_ls clients (every one when `bufnr` is nil), without those being stopped:
--- after `:KgLsRestart` the old server stays listed until its process has exited.
local function kg_clients(bufnr)
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients({ bufnr = bufnr, name = 'kg_ls' })
  else
    all = bufnr and vim.lsp.buf_get_clients(bufnr) or vim.lsp.get_active_clients()
  end
  local found = {}
  for _, c in pairs(all) do
    if c.name == 'kg_ls' and not client_call(c, 'is_stopped') then
      table.insert(found, c)
    end
  end
  return found
end

--- The byte offset in `line` of the LSP `character` in `encoding`.
local function byte_index(line, character, encoding)
  if encoding == 'utf-8' then
    return math.min(character, #line)
  end
  local ok, index
  if has_011 then
    ok, index = pcall(vim.str_byteindex, line, encoding, character, false)
  else
    ok, index = pcall(vim.str_byteindex, line, character, encoding == 'utf-16')
  end
  return ok and index or #line
end

--- The item's edit: its own textEdit, else the list's default edit range (LSP 3.17
--- `itemDefaults.editRange`, with `textEditText` or the label as the new text).
local function item_edit(item, defaults)
  if item.textEdit then
    return item.textEdit
  end
  local range = defaults and defaults.editRange
  if range then
    return { range = range.start and range or range.replace, newText = item.textEditText or item.label }
  end
  return nil
end

local function item_text(item, edit)
  if edit and edit.newText then
    return edit.newText
  end
  if item.insertText and item.insertText ~= '' then
    return item.insertText
  end
  return item.label
end

--- Turns a completion answer into Vim complete-items that all start at one column: the
--- leftmost start of the items' edits on the cursor's line (else the keyword before the
--- cursor). An item whose edit starts further right gets the text in between as its head, so
--- that accepting it leaves the line as its edit would. Returns the 0-based start byte and the
--- items in the server's order, one per word.
function M.complete_items(result, line, row, col, encoding, client_id)
  local items = result and (result.items or result) or {}
  local defaults = result and result.itemDefaults
  local keyword = vim.fn.match(line:sub(1, col), '\\k*$')
  local starts, edits = {}, {}
  local start = keyword
  for i, item in ipairs(items) do
    local edit = item_edit(item, defaults)
    edits[i] = edit
    local range = edit and (edit.range or edit.replace)
    local s = keyword
    if range and range.start.line == row then
      s = math.min(byte_index(line, range.start.character, encoding), col)
    end
    starts[i] = s
    start = math.min(start, s)
  end
  local out = {}
  for i, item in ipairs(items) do
    local doc = item.documentation
    if type(doc) == 'table' then
      doc = doc.value
    end
    table.insert(out, {
      word = line:sub(start + 1, starts[i]) .. item_text(item, edits[i]),
      abbr = item.label,
      kind = vim.lsp.protocol.CompletionItemKind[item.kind] or '',
      menu = item.detail or '',
      info = (type(doc) == 'string' and doc ~= '') and doc or ' ',
      icase = 1,
      dup = 1,
      empty = 1,
      user_data = { kg_ls = { client_id = client_id, command = item.command, sort = item.sortText or item.label } },
    })
  end
  table.sort(out, function(a, b)
    return a.user_data.kg_ls.sort < b.user_data.kg_ls.sort
  end)
  -- A single word after a multi-word prefix can come out as a term that is already there
  -- (`runtime` after `async r` is `async runtime`): keep the first of each.
  local seen, unique = {}, {}
  for _, item in ipairs(out) do
    if not seen[item.word] then
      seen[item.word] = true
      table.insert(unique, item)
    end
  end
  return start, unique
end

--- An 'omnifunc' for kg-ls buffers: asks the buffer's kg_ls client and shows every candidate,
--- multi-word ones included (see the module comment). Set by `on_attach`.
function M.omnifunc(findstart, _)
  if findstart == 0 then
    -- The candidates come through complete() once the answer is in.
    return {}
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local client = kg_clients(bufnr)[1]
  if not client then
    return -3
  end
  local win = vim.api.nvim_get_current_win()
  local cursor = vim.api.nvim_win_get_cursor(win)
  local encoding = client.offset_encoding or 'utf-16'
  local params = vim.lsp.util.make_position_params(win, encoding)
  client_call(client, 'request', 'textDocument/completion', params, function(err, result)
    local now = vim.api.nvim_win_get_cursor(win)
    if err or not result or vim.fn.mode() ~= 'i' or now[1] ~= cursor[1] or now[2] ~= cursor[2] then
      return
    end
    local line = vim.api.nvim_get_current_line()
    local start, items = M.complete_items(result, line, cursor[1] - 1, cursor[2], encoding, client.id)
    vim.fn.complete(start + 1, items)
  end, bufnr)
  -- -2: stay in completion mode without a popup until complete() brings the candidates.
  return -2
end

--- Runs the server's command of an accepted candidate (kg-ls learns which terms are used).
local function on_complete_done()
  local item = vim.v.completed_item
  local data = type(item) == 'table' and type(item.user_data) == 'table' and item.user_data.kg_ls
  if not data or not data.command then
    return
  end
  local client = vim.lsp.get_client_by_id(data.client_id)
  if client then
    local command = data.command
    client_call(client, 'request', 'workspace/executeCommand', { command = command.command, arguments = command.arguments }, function() end)
  end
end

local function set_buffer(bufnr, opts)
  if opts.omnifunc then
    vim.bo[bufnr].omnifunc = "v:lua.require'kg_ls'.omnifunc"
  end
  if opts.tagfunc then
    vim.bo[bufnr].tagfunc = 'v:lua.vim.lsp.tagfunc'
  end
  if opts.keymaps then
    vim.keymap.set('n', 'K', vim.lsp.buf.hover, { buffer = bufnr, desc = 'kg-ls: hover' })
    vim.keymap.set('n', 'gd', vim.lsp.buf.definition, { buffer = bufnr, desc = 'kg-ls: go to definition' })
    -- Neovim 0.11's default key for code actions (the terminology checks' quick fixes), on 0.7
    -- too.
    vim.keymap.set({ 'n', 'x' }, 'gra', vim.lsp.buf.code_action, { buffer = bufnr, desc = 'kg-ls: code action' })
    -- And its keys for references and rename, which 0.7 to 0.10 do not have.
    if vim.fn.has('nvim-0.11') == 0 then
      vim.keymap.set('n', 'grr', vim.lsp.buf.references, { buffer = bufnr, desc = 'kg-ls: references' })
      vim.keymap.set('n', 'grn', vim.lsp.buf.rename, { buffer = bufnr, desc = 'kg-ls: rename' })
    end
  end
end

--- Sets a buffer kg-ls attached to up for its keys ('omnifunc', 'tagfunc', K, gd, as the options
--- of the last `setup` say), and again whenever its filetype plugins run anew.
function M.on_attach(_, bufnr)
  local opts = current
  set_buffer(bufnr, opts)
  local group = vim.api.nvim_create_augroup('kg_ls_buffer_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    buffer = bufnr,
    callback = function()
      if kg_clients(bufnr)[1] then
        set_buffer(bufnr, opts)
      end
    end,
  })
  if opts.omnifunc then
    vim.api.nvim_create_autocmd('CompleteDone', { group = group, buffer = bufnr, callback = on_complete_done })
  end
end

--- The client options for `config`: without the module's own, with `on_attach` chained.
local function client_options(config)
  local options = vim.deepcopy(config)
  for _, key in ipairs(own_options) do
    options[key] = nil
  end
  local user_on_attach = config.on_attach
  options.on_attach = function(client, bufnr)
    M.on_attach(client, bufnr)
    if user_on_attach then
      user_on_attach(client, bufnr)
    end
  end
  return options
end

--- Clients started by the fallback, by root folder.
local clients = {}

--- Starts (or reuses) the client for `bufnr` on Neovim 0.7 to 0.10.
local function attach(bufnr, config)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or vim.bo[bufnr].buftype ~= '' then
    return
  end
  local root = find_root(name, config.root_markers) or vim.fn.fnamemodify(name, ':p:h')
  local id = clients[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    local client_config = vim.tbl_extend('force', client_options(config), {
      name = 'kg_ls',
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ':t') } },
    })
    id = vim.lsp.start_client(client_config)
    if not id then
      vim.notify('kg-ls: could not start ' .. tostring(config.cmd[1]) .. '; see :help kg_ls', vim.log.levels.ERROR)
      return
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

local function attach_open_buffers(config)
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(config.filetypes, vim.bo[buf].filetype) then
      attach(buf, config)
    end
  end
end

--- Sets kg-ls up for `opts.filetypes`; see the module comment.
function M.setup(opts)
  local config = with_defaults(opts)
  current = config
  if vim.fn.executable(config.cmd[1]) ~= 1 then
    vim.notify(
      ('kg-ls: `%s` is not executable; install kg-ls (see :help kg_ls) or set cmd'):format(config.cmd[1]),
      vim.log.levels.WARN
    )
  end
  if vim.lsp.config and vim.lsp.enable then
    local options = client_options(config)
    options.filetypes = config.filetypes
    options.root_markers = config.root_markers
    vim.lsp.config('kg_ls', options)
    vim.lsp.enable('kg_ls')
    return
  end
  local group = vim.api.nvim_create_augroup('kg_ls', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = config.filetypes,
    callback = function(args)
      attach(args.buf, config)
    end,
  })
  -- Buffers already open when setup runs.
  attach_open_buffers(config)
end

--- Stops every kg-ls client and starts them again for the open buffers, so that a changed
--- .kg-ls.toml (or a rebuilt binary) takes effect: `:KgLsRestart`.
function M.restart()
  local old = kg_clients(nil)
  for _, client in ipairs(old) do
    client_call(client, 'stop')
  end
  local stopped = vim.wait(5000, function()
    for _, client in ipairs(old) do
      if not client_call(client, 'is_stopped') then
        return false
      end
    end
    return true
  end, 20)
  if not stopped then
    for _, client in ipairs(old) do
      client_call(client, 'stop', true)
    end
  end
  if vim.lsp.config and vim.lsp.enable then
    vim.cmd('doautoall nvim.lsp.enable FileType')
  else
    clients = {}
    attach_open_buffers(current)
  end
  vim.notify(('kg-ls: restarted %d client(s)'):format(#old), vim.log.levels.INFO)
end

--- One line of text: newlines and runs of blanks become one space.
local function one_line(text)
  return (tostring(text or ''):gsub('%s+', ' '):gsub('^ ', ''):gsub(' $', ''))
end

--- The text of line `row` (0-based) of `fname`: from its buffer when loaded, else from disk.
local function file_line(fname, row)
  local bufnr = vim.fn.bufnr(fname)
  if bufnr ~= -1 and vim.api.nvim_buf_is_loaded(bufnr) then
    return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  end
  local ok, lines = pcall(vim.fn.readfile, fname, '', row + 1)
  return ok and lines[row + 1] or ''
end

--- Turns a `kg-ls/search` answer into quickfix items, best first: one per hit, at its first
--- match (else its first snippet, else the file's start), with 1-based byte columns, and
--- `title: snippet` as the text. `encoding` is the client's offset encoding; `line_of(fname,
--- row)` gives a line's text (default: the buffer's, else the file's).
function M.search_items(result, encoding, line_of)
  line_of = line_of or file_line
  local items = {}
  for _, hit in ipairs(type(result) == 'table' and result.items or {}) do
    local fname = vim.uri_to_fname(hit.uri)
    local snippet = hit.snippets and hit.snippets[1]
    local range = (hit.matches and hit.matches[1]) or (snippet and snippet.range)
    local lnum, col = 1, 1
    if range then
      lnum = range.start.line + 1
      col = byte_index(line_of(fname, range.start.line), range.start.character, encoding) + 1
    end
    local title = hit.title ~= '' and hit.title or vim.fn.fnamemodify(fname, ':t')
    local text = snippet and one_line(snippet.text) or ''
    table.insert(items, {
      filename = fname,
      lnum = lnum,
      col = col,
      text = text ~= '' and (title .. ': ' .. text) or title,
    })
  end
  return items
end

--- The quickfix list's title for `query`'s answer: the query, how many documents matched,
--- and the concepts that widened it.
function M.search_title(query, result)
  local total = type(result) == 'table' and tonumber(result.total) or 0
  local shown = type(result) == 'table' and type(result.items) == 'table' and #result.items or 0
  local count
  if total == 0 then
    count = 'no matches'
  elseif shown < total then
    count = ('%d of %d matches'):format(shown, total)
  else
    count = total == 1 and '1 match' or (total .. ' matches')
  end
  local widened = { count }
  for _, e in ipairs(type(result) == 'table' and result.expanded or {}) do
    local others = {}
    for _, t in ipairs(e.terms or {}) do
      if t:lower() ~= tostring(e.term):lower() then
        table.insert(others, t)
      end
    end
    table.insert(widened, ('"%s" is the concept %s%s'):format(e.term, e.concept,
      #others > 0 and (': also searched ' .. table.concat(others, ', ', 1, math.min(#others, 5)) .. (#others > 5 and ', ...' or '')) or ''))
  end
  return 'kg-ls search: ' .. query .. ' (' .. table.concat(widened, '; ') .. ')'
end

--- The most hits one :KgSearch asks for.
M.search_limit = 100

--- Sends `kg-ls/search` for `query` to the current buffer's kg-ls client (else any running
--- one), fills the quickfix list with the hits, best first, and opens it: `:KgSearch`.
--- `opts` may carry the request's `concept`, `path` and `limit`.
function M.search(query, opts)
  opts = opts or {}
  query = query or ''
  if query:match('^%s*$') then
    vim.notify('kg-ls: :KgSearch needs a query', vim.log.levels.WARN)
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local client = kg_clients(bufnr)[1] or kg_clients(nil)[1]
  if not client then
    vim.notify('kg-ls: no kg-ls client is running; open a markdown file of the workspace first', vim.log.levels.ERROR)
    return
  end
  local encoding = client.offset_encoding or 'utf-16'
  local params = { query = query, limit = opts.limit or M.search_limit, concept = opts.concept, path = opts.path }
  client_call(client, 'request', 'kg-ls/search', params, function(err, result)
    if err then
      local message = err.code == -32601 and 'this kg-ls has no kg-ls/search; update kg-ls'
        or ('the search failed: ' .. tostring(err.message or err))
      vim.notify('kg-ls: ' .. message, vim.log.levels.ERROR)
      return
    end
    local items = M.search_items(result, encoding)
    local title = M.search_title(query, result)
    vim.fn.setqflist({}, ' ', { title = title, items = items })
    if #items == 0 then
      vim.notify(('kg-ls: no matches for %s'):format(query), vim.log.levels.INFO)
      return
    end
    vim.cmd('copen')
  end, bufnr)
end

--- Asks every kg-ls client to rebuild its full-text index from scratch (the server's
--- `kg-ls.rebuildTextIndex` command), in the background: `:KgLsRebuildIndex`.
function M.rebuild_index()
  local all = kg_clients(nil)
  if #all == 0 then
    vim.notify('kg-ls: no kg-ls client is running', vim.log.levels.ERROR)
    return
  end
  for _, client in ipairs(all) do
    client_call(client, 'request', 'workspace/executeCommand', { command = 'kg-ls.rebuildTextIndex', arguments = {} },
      function(err)
        if err then
          vim.notify('kg-ls: the search index was not rebuilt: ' .. tostring(err.message or err), vim.log.levels.ERROR)
        else
          vim.notify('kg-ls: rebuilding the search index', vim.log.levels.INFO)
        end
      end)
  end
end

return M
