-- kg-ls for Neovim 0.11+'s `lsp/` convention: put this file's folder on 'runtimepath' (or copy
-- the file to ~/.config/nvim/lsp/kg_ls.lua), then call `vim.lsp.enable('kg_ls')`.
-- Override any field with `vim.lsp.config('kg_ls', { ... })`.
---@type vim.lsp.Config
return {
  cmd = { 'kg-ls' },
  filetypes = { 'markdown', 'text' },
  root_markers = { '.kg-ls.toml', '.git' },
  -- Knowledge-graph folders and thesaurus files, relative to the workspace root; when set they
  -- override the workspace's .kg-ls.toml, e.g. init_options = { kg = { paths = { 'kg' } } }.
  init_options = vim.empty_dict(),
}
