-- The standard-input recipes of docs/integrations.md ("Without the language
-- server"), run in headless Neovim against the real dockerleak:
--
-- * Vim: the ```vim block as written (its FileType and BufWritePost
--   autocmds): writing a Dockerfile runs :make, and the quickfix list must
--   hold its finding and its syntax error; a broken .dockerleak.toml must
--   give an entry at its line; `dockerleak: error: …` (standard error)
--   must be an entry, not a file called "dockerleak".
-- * nvim-lint: the ```lua block of "#### Neovim (nvim-lint)". With the real
--   nvim-lint (its checkout in $NVIM_LINT) the block runs as written and
--   the diagnostics must appear when the file is opened. Without it, a
--   stand-in `lint` module records the linter: try_lint must be called
--   when the file is opened with the filetype already known (the
--   BufReadPost bug), and the recipe's command, run as nvim-lint runs it
--   (buffer on standard input, both streams), must give the finding, the
--   syntax error and a configuration error to its parser.
--
--   PATH="<directory of dockerleak>:$PATH" \
--     nvim --clean --headless -l editors/neovim/recipes.lua <repository root> <scratch dir>

local root, scratch = arg[1], arg[2]
local TIMEOUT = 20000

local function say(text)
  io.stdout:write("   " .. text .. "\n")
end

local function fail(text)
  io.stderr:write("FAILED (neovim recipes): " .. text .. "\n")
  os.exit(1)
end

local function check(condition, text)
  if not condition then
    fail(text)
  end
end

check(root and scratch, "usage: nvim --clean --headless -l recipes.lua <repository root> <scratch dir>")
check(vim.fn.executable("dockerleak") == 1, "no dockerleak on PATH")

--- The first ```<language> block after the heading `heading`.
local function block(heading, language)
  local lines = vim.fn.readfile(root .. "/docs/integrations.md")
  local in_section, found = false, nil
  for _, line in ipairs(lines) do
    if line:match("^#+ ") then
      if found then
        break
      end
      in_section = line == heading
    elseif in_section and found == nil and line == "```" .. language then
      found = {}
    elseif found ~= nil and line == "```" then
      return table.concat(found, "\n")
    elseif found ~= nil then
      table.insert(found, line)
    end
  end
  fail("docs/integrations.md has no ```" .. language .. " block under " .. heading)
end

-- A Dockerfile with a finding (line 2) and a syntax error (line 3, column 5).
local LEAKY = { "FROM alpine:3.20", "COPY .netrc /root/.netrc", "RUN <<EOF", "never closed" }

local function project(name)
  local directory = scratch .. "/" .. name
  vim.fn.mkdir(directory, "p")
  vim.fn.writefile(LEAKY, directory .. "/Dockerfile")
  return directory
end

--- Runs a recipe as a config file does: Neovim enables filetype detection
--- after init.lua or .vimrc, so the recipe's autocmds come before its own
--- (a recipe's BufReadPost autocmd runs before the filetype is known).
local function as_in_init(recipe)
  pcall(vim.api.nvim_del_augroup_by_name, "filetypedetect")
  vim.g.did_load_filetypes = nil
  recipe()
  vim.cmd("runtime! filetype.lua")
end

local function show(items)
  local out = {}
  for _, item in ipairs(items) do
    table.insert(out, vim.inspect(item))
  end
  return table.concat(out, "\n")
end

-- Vim -----------------------------------------------------------------------
local vim_dir = project("vim")
vim.cmd.cd(vim.fn.fnameescape(vim_dir))
local vim_recipe = block("#### Vim", "vim")
as_in_init(function()
  vim.cmd(vim_recipe)
end)
vim.cmd.edit("Dockerfile")
check(vim.bo.filetype == "dockerfile", "Dockerfile has filetype " .. vim.bo.filetype)
check(vim.bo.makeprg:find("dockerleak", 1, true), "the recipe's FileType autocmd did not set makeprg")

--- The quickfix entries, as { file, line, column, type, text }.
local function entries(list)
  local out = {}
  for _, item in ipairs(list) do
    if item.valid == 1 then
      local name = item.bufnr ~= 0 and vim.fn.fnamemodify(vim.fn.bufname(item.bufnr), ":t") or ""
      table.insert(out, { file = name, line = item.lnum, col = item.col, type = item.type, text = item.text })
    end
  end
  return out
end

local function has(list, wanted)
  for _, item in ipairs(list) do
    local ok = true
    for key, value in pairs(wanted) do
      if key == "text" then
        ok = ok and item.text:find(value, 1, true) ~= nil
      elseif key == "type" then
        ok = ok and item.type:lower() == value:lower() -- %t keeps the letter's case; Vim reads both
      elseif item[key] ~= value then
        ok = false
      end
    end
    if ok then
      return true
    end
  end
  return false
end

local function write_and_make()
  vim.fn.setqflist({}, "r")
  vim.cmd("silent write")
  return entries(vim.fn.getqflist())
end

local made = write_and_make()
check(
  has(made, { file = "Dockerfile", line = 2, col = 6, type = "E", text = "[DLK001]" }),
  "Vim: no quickfix entry for the DLK001 finding:\n" .. show(made)
)
check(
  has(made, { file = "Dockerfile", line = 3, col = 5, type = "E", text = "unterminated heredoc" }),
  "Vim: no quickfix entry for the syntax error:\n" .. show(made)
)
check(#made == 2, "Vim: expected 2 quickfix entries, have:\n" .. show(made))
say("Vim: :make on write lists the finding and the syntax error")

vim.fn.writefile({ 'select = ["DLK001"]', 'ignore = "not a list"' }, vim_dir .. "/.dockerleak.toml")
made = write_and_make()
check(
  has(made, { file = ".dockerleak.toml", line = 2, type = "", text = "invalid configuration" }),
  "Vim: the configuration error (standard error) is not an entry at .dockerleak.toml:2:\n" .. show(made)
)
vim.fn.delete(vim_dir .. "/.dockerleak.toml")
say("Vim: a broken .dockerleak.toml is an entry at its line")

-- `dockerleak: error: …` on standard error (here from --config), read
-- with the recipe's errorformat.
local usage = vim.system({ "dockerleak", "--format", "gnu", "--config", "missing.toml", "Dockerfile" }, { cwd = vim_dir }):wait()
check(usage.code == 2, "dockerleak --config missing.toml exited " .. tostring(usage.code))
local parsed = entries(vim.fn.getqflist({ lines = vim.split(usage.stderr, "\n", { trimempty = true }), efm = vim.bo.errorformat }).items)
check(
  #parsed == 1 and parsed[1].file == "" and parsed[1].type:lower() == "e" and parsed[1].text:find("missing.toml", 1, true),
  "Vim: `dockerleak: error:` is not one entry without a file:\n" .. usage.stderr .. show(parsed)
)
say("Vim: `dockerleak: error: …` is an entry of its own")
vim.cmd("silent! %bwipeout!")

-- nvim-lint -------------------------------------------------------------------
local lint_dir = project("nvim-lint")
vim.cmd.cd(vim.fn.fnameescape(lint_dir))
local recipe = block("#### Neovim (nvim-lint)", "lua")
local real = os.getenv("NVIM_LINT")
if real and real ~= "" then
  vim.opt.runtimepath:prepend(real)
  as_in_init(assert(load(recipe, "nvim-lint recipe")))
  vim.cmd.edit("Dockerfile")
  local buffer = vim.api.nvim_get_current_buf()
  local function codes()
    local out = {}
    for _, diagnostic in ipairs(vim.diagnostic.get(buffer)) do
      table.insert(out, (diagnostic.lnum + 1) .. ":" .. (diagnostic.code or diagnostic.message))
    end
    table.sort(out)
    return table.concat(out, " ")
  end
  local want = "2:DLK001 3:unterminated heredoc"
  check(vim.wait(TIMEOUT, function()
    return codes() == want
  end, 50), "nvim-lint: expected " .. want .. " on open, have " .. codes())
  say("nvim-lint (" .. real .. "): diagnostics on open: " .. want)
  os.exit(0)
end

-- The stand-in: what the recipe gives nvim-lint, and when it calls it.
local recorded = { calls = {} }
package.loaded["lint"] = {
  linters = {},
  linters_by_ft = {},
  try_lint = function()
    table.insert(recorded.calls, { buffer = vim.api.nvim_get_current_buf(), filetype = vim.bo.filetype })
  end,
}
as_in_init(assert(load(recipe, "nvim-lint recipe")))
local lint = package.loaded["lint"]
local linter = lint.linters.dockerleak
check(linter ~= nil, "nvim-lint: the recipe defines no linters.dockerleak")
check(vim.deep_equal(lint.linters_by_ft.dockerfile, { "dockerleak" }), "nvim-lint: dockerleak is not the dockerfile linter")
vim.cmd.edit("Dockerfile")
local buffer = vim.api.nvim_get_current_buf()
local on_open = false
for _, call in ipairs(recorded.calls) do
  on_open = on_open or (call.buffer == buffer and call.filetype == "dockerfile")
end
check(on_open, "nvim-lint: try_lint is not called with the filetype known when the file is opened: " .. vim.inspect(recorded.calls))
say("nvim-lint: try_lint runs on open with filetype dockerfile")

--- Runs the linter as nvim-lint does: cmd, args (functions called), the
--- buffer on standard input; the parser gets each stream it reads.
local function run(directory)
  local command = { linter.cmd }
  for _, argument in ipairs(linter.args) do
    table.insert(command, type(argument) == "function" and argument() or argument)
  end
  local text = table.concat(vim.api.nvim_buf_get_lines(buffer, 0, -1, false), "\n") .. "\n"
  local result = vim.system(command, { cwd = directory, stdin = text }):wait()
  check(result.code ~= 0 or linter.ignore_exitcode, "nvim-lint: exit code " .. result.code .. " would be a failure")
  local diagnostics = {}
  local streams = linter.stream == "both" and { result.stdout, result.stderr }
    or { linter.stream == "stderr" and result.stderr or result.stdout }
  for _, output in ipairs(streams) do
    vim.list_extend(diagnostics, linter.parser(output, buffer, directory))
  end
  return diagnostics
end

local function find(diagnostics, lnum, col, code, text)
  for _, diagnostic in ipairs(diagnostics) do
    if diagnostic.lnum == lnum and diagnostic.col == col and diagnostic.code == code
      and diagnostic.message:find(text, 1, true) and diagnostic.severity == vim.diagnostic.severity.ERROR
      and diagnostic.source == "dockerleak" then
      return true
    end
  end
  return false
end

local diagnostics = run(lint_dir)
check(find(diagnostics, 1, 5, "DLK001", ".netrc"), "nvim-lint: no DLK001 diagnostic:\n" .. show(diagnostics))
for _, diagnostic in ipairs(diagnostics) do
  check(not diagnostic.message:find("[DLK", 1, true), "nvim-lint: the code is left in the message: " .. diagnostic.message)
end
check(find(diagnostics, 2, 4, nil, "unterminated heredoc"), "nvim-lint: the syntax error is dropped:\n" .. show(diagnostics))
check(#diagnostics == 2, "nvim-lint: expected 2 diagnostics:\n" .. show(diagnostics))
say("nvim-lint: the parser reads the finding and the syntax error")

vim.fn.writefile({ 'ignore = "not a list"' }, lint_dir .. "/.dockerleak.toml")
diagnostics = run(lint_dir)
check(
  #diagnostics == 1 and find(diagnostics, 0, 0, nil, ".dockerleak.toml:1:"),
  "nvim-lint: the configuration error (standard error) is not shown:\n" .. show(diagnostics)
)
say("nvim-lint: a broken .dockerleak.toml is a diagnostic on line 1")
say("recipes: all checks passed")
os.exit(0)
