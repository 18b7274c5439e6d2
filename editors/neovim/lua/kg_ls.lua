--- kg-ls for Neovim's built-in LSP client: completion, hover, workspace symbols and go to
--- definition from a knowledge graph.
---
--- ```lua
--- require('kg_ls').setup({
---   -- Every field is optional; these are the defaults.
---   cmd = { 'kg-ls' },
---   filetypes = { 'markdown', 'text' },
---   root_markers = { '.kg-ls.toml', '.git' },
---   init_options = {},   -- e.g. { kg = { paths = { 'kg' } }, completion = { limit = 20 } }
--- })
--- ```
---
--- On Neovim 0.11+ this is `vim.lsp.config('kg_ls', opts)` and `vim.lsp.enable('kg_ls')`.
--- On 0.7 to 0.10 a FileType autocommand starts one client per root (the nearest folder with
--- a root marker, else the file's folder) through `vim.lsp.start_client` and attaches buffers
--- to it, with `omnifunc` set for `<C-x><C-o>` completion. `on_attach`, `capabilities` and
--- any other client option are passed through.
local M = {}

--- The defaults that `setup` merges the user's options into.
M.defaults = {
  cmd = { 'kg-ls' },
  filetypes = { 'markdown', 'text' },
  root_markers = { '.kg-ls.toml', '.git' },
  init_options = {},
}

local uv = vim.uv or vim.loop

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
    local client_config = vim.tbl_extend('force', config, {
      name = 'kg_ls',
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ':t') } },
      on_attach = function(client_, buf)
        if vim.bo[buf].omnifunc == '' then
          vim.bo[buf].omnifunc = 'v:lua.vim.lsp.omnifunc'
        end
        if config.on_attach then
          config.on_attach(client_, buf)
        end
      end,
    })
    client_config.filetypes = nil
    client_config.root_markers = nil
    id = vim.lsp.start_client(client_config)
    if not id then
      vim.notify('kg-ls: could not start ' .. tostring(config.cmd[1]) .. '; see :help kg_ls or the kg-ls README', vim.log.levels.ERROR)
      return
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

--- Sets kg-ls up for `opts.filetypes`; see the module comment.
function M.setup(opts)
  local config = with_defaults(opts)
  if vim.fn.executable(config.cmd[1]) ~= 1 then
    vim.notify(
      ('kg-ls: `%s` is not executable; install it with `cargo install --path .` in a kg-ls checkout, or set cmd'):format(config.cmd[1]),
      vim.log.levels.WARN
    )
  end
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config('kg_ls', config)
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
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(config.filetypes, vim.bo[buf].filetype) then
      attach(buf, config)
    end
  end
end

return M
