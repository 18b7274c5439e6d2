-- kg-ls for Neovim 0.11+'s `lsp/` convention: with editors/neovim on 'runtimepath',
-- `vim.lsp.enable('kg_ls')` is enough; override any field with `vim.lsp.config('kg_ls', {...})`.
-- `on_attach` sets 'omnifunc', 'tagfunc', K and gd for the buffer through the kg_ls module
-- next to this file (`require('kg_ls').setup{...}` chooses which; see :help kg_ls).
---@type vim.lsp.Config
return {
  cmd = { 'kg-ls' },
  filetypes = { 'markdown', 'text' },
  root_markers = { '.kg-ls.toml', '.git' },
  -- Empty: the workspace's .kg-ls.toml says what to load. Setting kg.paths here would
  -- override it, e.g. init_options = { kg = { paths = { 'kg' } } }.
  init_options = vim.empty_dict(),
  on_attach = function(client, bufnr)
    local ok, kg_ls = pcall(require, 'kg_ls')
    if ok then
      kg_ls.on_attach(client, bufnr)
    end
  end,
}
