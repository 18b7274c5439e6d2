-- The commands, for every way of setting kg-ls up (the kg_ls module or lsp/kg_ls.lua):
-- :KgLsRestart stops the kg-ls clients and starts them again for the open buffers, so that a
-- fixed .kg-ls.toml or a new binary takes effect; :KgSearch {query} searches the knowledge
-- base (`kg-ls/search`) into the quickfix list, and asks for the query when it has none;
-- :KgLsRebuildIndex rebuilds the server's full-text index.
if vim.g.loaded_kg_ls then
  return
end
vim.g.loaded_kg_ls = true
vim.api.nvim_create_user_command('KgLsRestart', function()
  require('kg_ls').restart()
end, { desc = 'Restart kg-ls (after changing .kg-ls.toml)' })
vim.api.nvim_create_user_command('KgSearch', function(args)
  if args.args ~= '' then
    require('kg_ls').search(args.args)
    return
  end
  vim.ui.input({ prompt = 'kg-ls search: ' }, function(query)
    if query and query ~= '' then
      require('kg_ls').search(query)
    end
  end)
end, { nargs = '?', desc = 'Search the knowledge base (kg-ls) into the quickfix list' })
vim.api.nvim_create_user_command('KgLsRebuildIndex', function()
  require('kg_ls').rebuild_index()
end, { desc = 'Rebuild the kg-ls full-text search index' })
