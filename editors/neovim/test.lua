-- A real editor against `dockerleak server`: headless Neovim (0.11+) with
-- the set-up documented in docs/integrations.md (the ```lua block under
-- "### Neovim", run as it is written), on a leaky Dockerfile. It waits for
-- dockerleak's diagnostics, checks their codes and lines, applies the DLK003
-- quick fix through the client (vim.lsp.buf.code_action with apply = true),
-- checks the buffer, and checks that the diagnostics follow the edit.
--
--   PATH="<directory of the dockerleak binary>:$PATH" \
--     nvim --clean --headless -l editors/neovim/test.lua <repository root> <scratch dir>
--
-- Exits 0 when every check passes, 1 on the first failure (the server does
-- not start, a wait times out, a check fails).

local root, scratch = arg[1], arg[2]
local TIMEOUT = 20000 -- ms; only a bound for a hung server, nothing is timed

local function say(text)
  io.stdout:write("   " .. text .. "\n")
end

local function fail(text)
  io.stderr:write("FAILED (neovim): " .. text .. "\n")
  local log = vim.lsp.log.get_filename()
  if vim.uv.fs_stat(log) then
    io.stderr:write("--- the end of the LSP log (" .. log .. "):\n")
    local lines = vim.fn.readfile(log)
    for index = math.max(1, #lines - 30), #lines do
      io.stderr:write(lines[index] .. "\n")
    end
  end
  os.exit(1)
end

local function check(condition, text)
  if not condition then
    fail(text)
  end
end

if not (root and scratch) then
  fail("usage: nvim --clean --headless -l test.lua <repository root> <scratch dir>")
end
check(vim.fn.has("nvim-0.11") == 1, "Neovim 0.11 or newer is needed, this is " .. tostring(vim.version()))
check(vim.fn.executable("dockerleak") == 1, "no dockerleak on PATH")
vim.lsp.log.set_level("warn")
-- The server's messages (an unsafe fix's build note), on a line of their own.
vim.lsp.handlers["window/showMessage"] = function(_, params)
  say("server message: " .. params.message)
end

-- The documented set-up: the first ```lua block of the "### Neovim" section.
local function documented_setup()
  local lines = vim.fn.readfile(root .. "/docs/integrations.md")
  local in_section, block = false, nil
  for _, line in ipairs(lines) do
    if line:match("^### ") then
      in_section = line:match("^### Neovim") ~= nil and not line:match("stdin")
    elseif in_section and block == nil and line == "```lua" then
      block = {}
    elseif block ~= nil and line == "```" then
      return table.concat(block, "\n")
    elseif block ~= nil then
      table.insert(block, line)
    end
  end
end
local setup = documented_setup()
check(setup ~= nil, "docs/integrations.md has no ```lua block under ### Neovim")
check(setup:find("vim.lsp.enable", 1, true), "the documented set-up does not call vim.lsp.enable")
local chunk, problem = load(setup, "docs/integrations.md (### Neovim)")
check(chunk ~= nil, "the documented set-up does not compile: " .. tostring(problem))
local ran, err = pcall(chunk)
check(ran, "the documented set-up failed: " .. tostring(err))

-- The leaky Dockerfile, copied: the fix edits the buffer, never the fixture.
local directory = scratch .. "/project"
vim.fn.mkdir(directory, "p")
local file = directory .. "/Dockerfile"
vim.fn.writefile(vim.fn.readfile(root .. "/editors/neovim/fixture/Dockerfile"), file)
vim.cmd.edit(vim.fn.fnameescape(file))
local buffer = vim.api.nvim_get_current_buf()
check(vim.bo[buffer].filetype == "dockerfile", "Dockerfile has filetype " .. vim.bo[buffer].filetype)

local function dockerleak_client()
  return vim.lsp.get_clients({ bufnr = buffer, name = "dockerleak" })[1]
end
local started = vim.wait(TIMEOUT, function()
  local client = dockerleak_client()
  return client ~= nil and client.initialized
end, 50)
check(started, "the dockerleak server did not start (or did not initialize) for Dockerfile")
local client = dockerleak_client()
say("server started: " .. table.concat(client.config.cmd, " ") .. " (" .. ((client.server_info or {}).name or "?") .. " " .. ((client.server_info or {}).version or "") .. ")")

--- dockerleak's diagnostics in the buffer, sorted: { "3:DLK003", … } (1-based lines).
local function found()
  local list = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(buffer)) do
    if diagnostic.source == "dockerleak" then
      table.insert(list, string.format("%d:%s", diagnostic.lnum + 1, tostring(diagnostic.code)))
    end
  end
  table.sort(list, function(a, b)
    local la, lb = tonumber(a:match("^%d+")), tonumber(b:match("^%d+"))
    return la < lb or (la == lb and a < b)
  end)
  return list
end

local function wait_for(expected, what)
  local want = table.concat(expected, " ")
  local arrived = vim.wait(TIMEOUT, function()
    return table.concat(found(), " ") == want
  end, 50)
  check(arrived, what .. ": expected dockerleak diagnostics " .. want .. ", have " .. table.concat(found(), " "))
  say(what .. ": " .. want)
end

-- fixture: ARG API_TOKEN (line 3), the RUN that sends it (4), COPY .netrc (5).
wait_for({ "3:DLK003", "4:DLK006", "5:DLK001" }, "diagnostics on open")
for _, diagnostic in ipairs(vim.diagnostic.get(buffer)) do
  if diagnostic.code == "DLK003" then
    check(diagnostic.severity == vim.diagnostic.severity.ERROR, "DLK003 is not an error")
    check(diagnostic.col == 4, "DLK003 does not start at the build arg's name (column " .. diagnostic.col .. ")")
  end
end

-- The DLK003 quick fix, through the client, as a user's `:lua
-- vim.lsp.buf.code_action()` on the ARG line would pick it.
vim.api.nvim_win_set_cursor(0, { 3, 4 })
local offered = {}
vim.lsp.buf.code_action({
  context = { only = { "quickfix" } },
  apply = true,
  filter = function(action)
    -- docs/language-server.md: "DLK003: <the fix's message> (unsafe; …)";
    -- "Ignore DLK003 for this instruction" is a quickfix too, not this one.
    table.insert(offered, action.title)
    return action.kind == "quickfix" and vim.startswith(action.title, "DLK003: ")
  end,
})
local mount = "RUN --mount=type=secret,id=API_TOKEN,env=API_TOKEN wget"
local function buffer_has_mount()
  for _, line in ipairs(vim.api.nvim_buf_get_lines(buffer, 0, -1, false)) do
    if vim.startswith(line, mount) then
      return true
    end
  end
  return false
end
local applied = vim.wait(TIMEOUT, buffer_has_mount, 50)
check(
  applied,
  "the DLK003 quick fix did not put `" .. mount .. "` in the buffer; code actions offered: "
    .. vim.inspect(offered) .. "; buffer:\n" .. table.concat(vim.api.nvim_buf_get_lines(buffer, 0, -1, false), "\n")
)
local text = vim.api.nvim_buf_get_lines(buffer, 0, -1, false)
check(
  not vim.tbl_contains(text, "ARG API_TOKEN"),
  "the quick fix left `ARG API_TOKEN` in the buffer"
)
say("DLK003 quick fix applied: " .. text[vim.fn.match(text, "^RUN --mount") + 1]:sub(1, 60) .. "…")

-- The diagnostics follow the edit (didChange): no build arg, no header leak;
-- the .netrc copy is still there, a line higher or lower as the fix moved it.
local netrc
for index, line in ipairs(text) do
  if vim.startswith(line, "COPY .netrc") then
    netrc = index
  end
end
check(netrc ~= nil, "the quick fix removed the COPY .netrc line")
wait_for({ netrc .. ":DLK001" }, "diagnostics after the fix")

client:stop()
vim.wait(TIMEOUT, function()
  return client:is_stopped()
end, 50)
say("neovim: all checks passed")
os.exit(0)
