-- :KgLsRestart, for every way of setting kg-ls up (the kg_ls module or lsp/kg_ls.lua):
-- stops the kg-ls clients and starts them again for the open buffers, so that a fixed
-- .kg-ls.toml or a new binary takes effect.
if vim.g.loaded_kg_ls then
  return
end
vim.g.loaded_kg_ls = true
vim.api.nvim_create_user_command('KgLsRestart', function()
  require('kg_ls').restart()
end, { desc = 'Restart kg-ls (after changing .kg-ls.toml)' })
