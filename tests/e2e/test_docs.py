"""test_docs.py - the manual pages against the code they describe.

Reads the C sources as text (no build, no Kafka) and checks that docs/wiresift.conf.5 and
docs/wiresift.8 keep up with them:

	every key of daemon/config.c's key_specs table is an ".It Ic KEY" entry of the subsection
	of its section, with the type and the default of config_defaults(); every section, every
	[route] kind and every feeds-list option of feed_option() is documented; every option of
	each plugin's ws_option table is documented under [plugin "NAME"] with its type and
	default; every key of conf/wiresift.conf (commented examples included) is a real key;
	every event name given to log_event/log_complain/log_complain_clear is listed under
	LOGGING; command-line options, commands, signals and environment variables are in
	wiresift(8); and both pages render without a complaint.

Documented entries that the code no longer has fail too, so the pages cannot rot either way.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONF_PAGE = ROOT / "docs" / "wiresift.conf.5"
DAEMON_PAGE = ROOT / "docs" / "wiresift.8"
CONFIG_C = ROOT / "daemon" / "config.c"
MAIN_C = ROOT / "daemon" / "main.c"
EXAMPLE_CONF = ROOT / "conf" / "wiresift.conf"

# The word each page uses after ".It Ic KEY Ar" for the code's types.
CORE_TYPE_WORDS = {
	"KEY_STRING": "string", "KEY_PATH": "path", "KEY_DURATION": "duration",
	"KEY_SIZE": "size", "KEY_LONG": "number", "KEY_INT": "number", "KEY_BOOL": "boolean",
	"KEY_FRACTION": "fraction", "KEY_LOG_LEVEL": "level", "KEY_DEDUP_POLICY": "policy",
	"KEY_WORKERS": "count", "KEY_FULLTEXT_MODE": "mode",
}
PLUGIN_TYPE_WORDS = {
	"WS_OPTION_STRING": "string", "WS_OPTION_INT": "integer", "WS_OPTION_DOUBLE": "number",
	"WS_OPTION_BOOL": "boolean", "WS_OPTION_PATH": "path",
}
STRING_LITERAL = r'"(?:[^"\\\n]|\\.)*"'


# ---- reading C ----

def strip_comments(source):
	"""C source without comments; string and character literals are kept intact."""
	out, i, n = [], 0, len(source)
	while i < n:
		c = source[i]
		if c in "\"'":
			j = i + 1
			while j < n and source[j] != c:
				j += 2 if source[j] == "\\" else 1
			out.append(source[i:j + 1])
			i = j + 1
		elif source.startswith("/*", i):
			end = source.find("*/", i + 2)
			i = n if end < 0 else end + 2
			out.append(" ")
		elif source.startswith("//", i):
			end = source.find("\n", i)
			i = n if end < 0 else end
		else:
			out.append(c)
			i += 1
	return "".join(out)


def c_source(path):
	return strip_comments(Path(path).read_text(encoding="utf-8"))


def unquote(literal):
	return bytes(literal[1:-1], "utf-8").decode("unicode_escape")


def braced_block(text, start):
	"""The text between the '{' at or after start and its matching '}' (string-aware)."""
	open_at = text.index("{", start)
	depth, i = 0, open_at
	while i < len(text):
		c = text[i]
		if c == '"':
			i = re.compile(STRING_LITERAL).match(text, i).end()
			continue
		if c == "{":
			depth += 1
		elif c == "}":
			depth -= 1
			if depth == 0:
				return text[open_at + 1:i]
		i += 1
	raise AssertionError("unbalanced braces after offset %d" % start)


def split_arguments(text, open_paren):
	"""The comma-separated arguments of the call whose '(' is at open_paren."""
	args, depth, current, i = [], 0, [], open_paren + 1
	literal = re.compile(STRING_LITERAL + "|'(?:[^'\\\\]|\\\\.)*'")
	while i < len(text):
		c = text[i]
		if c in "\"'":
			match = literal.match(text, i)
			current.append(match.group(0))
			i = match.end()
			continue
		if c in "([{":
			depth += 1
		elif c in ")]}":
			if depth == 0:
				args.append("".join(current).strip())
				return args
			depth -= 1
		elif c == "," and depth == 0:
			args.append("".join(current).strip())
			current = []
			i += 1
			continue
		current.append(c)
		i += 1
	raise AssertionError("unterminated call at offset %d" % open_paren)


def table_entries(block):
	"""The top-level {...} entries of an array initializer, terminator excluded."""
	entries, i = [], 0
	while True:
		start = block.find("{", i)
		if start < 0:
			return entries
		body = braced_block(block, start)
		i = start + len(body) + 2
		if not re.match(r"\s*(NULL|0)\s*,", body):
			entries.append(body)


def function_body(text, name):
	match = re.search(r"^\w[^\n;]*\n?%s\s*\([^)]*\)\s*\{" % re.escape(name), text, re.M)
	assert match, "function %s not found" % name
	return braced_block(text, match.end() - 1)


def key_specs():
	"""[(section, key, type, field)] from daemon/config.c's key_specs table."""
	text = c_source(CONFIG_C)
	block = braced_block(text, text.index("key_specs[] ="))
	specs = []
	for entry in table_entries(block):
		match = re.fullmatch(r'\s*"([^"]+)"\s*,\s*"([^"]+)"\s*,\s*(KEY_\w+)\s*,\s*'
		    r'FIELD\(([\w.]+)\)\s*', entry)
		assert match, "cannot read key_specs entry {%s}" % entry
		specs.append(match.groups())
	assert len(specs) >= 10, "key_specs looks unreadable: %r" % specs
	return specs


def string_array(text, declaration):
	"""The string literals of `static const char *NAME[] = { ..., NULL };`."""
	match = re.search(re.escape(declaration) + r"\s*=\s*\{", text)
	assert match, "%s not found" % declaration
	block = braced_block(text, match.end() - 1)
	return [unquote(s) for s in re.findall(STRING_LITERAL, block)]


def config_sections():
	body = function_body(c_source(CONFIG_C), "open_section")
	return string_array(body, "static const char *known[]")


def route_kinds():
	body = function_body(c_source(CONFIG_C), "add_route")
	return string_array(body, "static const char *kinds[]")


def feed_options():
	body = function_body(c_source(CONFIG_C), "feed_option")
	options = []
	for name, length in re.findall(r'strncmp\(token,\s*"(\w+)=",\s*(\d+)\)', body):
		assert int(length) == len(name) + 1, "feed_option compares %d bytes of %s=" % (
		    int(length), name)
		options.append(name)
	assert options, "no feed options found in feed_option()"
	return options


def c_number(expression):
	expression = re.sub(r"(?<=\d)(?:LL|L|U|ULL)\b", "", expression.strip())
	assert re.fullmatch(r"[\d\s*+().]+", expression), "not arithmetic: %r" % expression
	return eval(expression, {"__builtins__": {}})  # digits and operators only


def code_defaults():
	"""{field: value} assigned in config_defaults(), dedup_config_defaults() and
	story_config_defaults()."""
	assignments = re.findall(r"config->([\w.]+)\s*=\s*([^;]+);",
	    function_body(c_source(CONFIG_C), "config_defaults"))
	for path in sorted((ROOT / "daemon" / "dedup").glob("*.c")):
		text = c_source(path)
		if re.search(r"^dedup_config_defaults\s*\(", text, re.M):
			assignments += [("dedup." + field, value) for field, value in re.findall(
			    r"config->(\w+)\s*=\s*([^;]+);", function_body(text,
			    "dedup_config_defaults"))]
	assert any(field.startswith("dedup.") for field, _ in assignments), \
	    "dedup_config_defaults() not found under daemon/dedup/"
	for path in sorted((ROOT / "daemon" / "story").glob("*.c")):
		text = c_source(path)
		if re.search(r"^story_config_defaults\s*\(", text, re.M):
			assignments += [("stories." + field, value) for field, value in re.findall(
			    r"config->(\w+)\s*=\s*([^;]+);", function_body(text,
			    "story_config_defaults"))]
	defaults = {}
	for field, value in assignments:
		value = value.strip()
		string = re.fullmatch(r"xstrdup\((%s)\)" % STRING_LITERAL, value)
		if string:
			defaults[field] = unquote(string.group(1))
		elif re.fullmatch(r"(LOG_LEVEL|DEDUP_POLICY)_\w+", value):
			defaults[field] = value.split("_", 2)[-1].lower()
		elif value == "WORKERS_AUTO":
			defaults[field] = "auto"
		elif re.fullmatch(r"FULLTEXT_\w+", value):
			defaults[field] = value.split("_", 1)[1].lower()
		elif value not in ("NULL",):
			defaults[field] = c_number(value)
	return defaults


def seconds_fields():
	"""Fields that hold a duration in seconds rather than milliseconds."""
	body = function_body(c_source(CONFIG_C), "set_typed_value")
	return set(re.findall(r"FIELD\(([\w.]+)\)\)\s*number\s*/=\s*1000", body))


def plugins():
	"""{name: [(option, default or None, type)]} from each plugin's option table (plugins/*/*.c,
	or *.cc for a plugin written in C++, whose struct ws_plugin is initialised in order)."""
	found = {}
	for path in plugin_sources():
		text = c_source(path)
		name = re.search(r"\.name\s*=\s*(%s)" % STRING_LITERAL, text) or \
			re.search(r"WS_PLUGIN_ABI\s*,\s*(%s)" % STRING_LITERAL, text)
		if name is None:
			continue
		options = []
		table = re.search(r"struct\s+ws_option\s+\w+\s*\[\s*\]\s*=\s*\{", text)
		if table:
			for entry in table_entries(braced_block(text, table.end() - 1)):
				match = re.match(r'\s*(%s)\s*,\s*(NULL|%s)\s*,' % (STRING_LITERAL,
				    STRING_LITERAL), entry)
				kind = re.search(r"\b(WS_OPTION_\w+)\b", entry)
				assert match and kind, "%s: cannot read option {%s}" % (path, entry)
				default = None if match.group(2) == "NULL" else unquote(match.group(2))
				options.append((unquote(match.group(1)), default, kind.group(1)))
		found[unquote(name.group(1))] = options
	assert found, "no plugins found under plugins/"
	return found


def plugin_sources():
	return sorted(ROOT.glob("plugins/*/*.c")) + sorted(ROOT.glob("plugins/*/*.cc"))


def daemon_sources():
	return sorted(ROOT.glob("daemon/**/*.c")) + plugin_sources()


def log_events():
	"""{event: [file:line]} for every log_event/log_complain/log_complain_clear call."""
	events, problems = {}, []
	for path in daemon_sources():
		if path.name == "log.c":
			continue		# the implementation passes its `event` parameter on
		text = c_source(path)
		for call in re.finditer(r"\blog_(?:event|complain|complain_clear)\s*\(", text):
			args = split_arguments(text, call.end() - 1)
			where = "%s:%d" % (path.relative_to(ROOT), text.count("\n", 0, call.start()) + 1)
			if len(args) < 3 or not re.fullmatch(STRING_LITERAL, args[2]):
				problems.append("%s: event name is not a string literal: %s" % (where,
				    args[2] if len(args) > 2 else args))
				continue
			events.setdefault(unquote(args[2]), []).append(where)
	assert not problems, "\n".join(problems)
	assert len(events) >= 10, "too few log events found: %r" % events
	return events


# ---- reading mdoc ----

def clean_roff(text):
	return text.replace("\\&", "").replace("\\(dq", '"').replace("\\-", "-").strip()


def page_sections(path):
	"""{header: [(item name, first line words, body text)]} for each .Sh and .Ss."""
	sections, header, item = {}, None, None
	for line in Path(path).read_text(encoding="utf-8").splitlines():
		macro = re.match(r"\.(Sh|Ss)\s+(.*)", line)
		if macro:
			header = clean_roff(macro.group(2))
			sections.setdefault(header, [])
			item = None
			continue
		if header is None:
			continue
		if line.startswith(".It"):
			words = clean_roff(line[3:]).split()
			name = words[1] if len(words) > 1 and words[0] in ("Ic", "Cm", "Dv", "Ev", "Fl") \
			    else None
			item = [name, words, ""]
			sections[header].append(item)
		elif line.startswith(".El"):
			item = None
		elif item is not None:
			item[2] += line + "\n"
	return sections


def items(sections, header, macro="Ic"):
	assert header in sections, "no section %r in the page (has %s)" % (header,
	    ", ".join(sections))
	return {name: (words, body) for name, words, body in sections[header]
	    if name is not None and words[0] == macro}


def documented_default(body):
	"""The value after "The default is", or None when the entry names none."""
	match = re.search(r"The default is\s*(?:\.(?:Cm|Pa|Li|Ar)\s+)?(\S+)", body)
	if match is None:
		return None
	value = match.group(1)
	return "" if value.startswith("empty") else clean_roff(value)


def parse_amount(text, units, plain):
	match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", text)
	assert match, "not a number with a unit: %r" % text
	multiplier = units[match.group(2).lower()] if match.group(2) else plain
	return float(match.group(1)) * multiplier


DURATION_UNITS = {"ms": 1, "s": 1000, "sec": 1000, "m": 60000, "min": 60000, "h": 3600000,
    "d": 86400000}
SIZE_UNITS = {"b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1 << 20, "mb": 1 << 20,
    "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}


@pytest.fixture(scope="module")
def conf_page():
	return page_sections(CONF_PAGE)


@pytest.fixture(scope="module")
def daemon_page():
	return page_sections(DAEMON_PAGE)


# ---- wiresift.conf(5) ----

def test_every_section_has_a_subsection(conf_page):
	missing = ["[%s]" % s for s in config_sections() if "[%s]" % s not in conf_page]
	if '[plugin "NAME"]' not in conf_page:
		missing.append('[plugin "NAME"]')
	assert not missing, "sections without a subsection in wiresift.conf.5: %s" % missing


def test_every_config_key_is_documented_with_its_type(conf_page):
	problems = []
	for section, key, kind, _ in key_specs():
		documented = items(conf_page, "[%s]" % section)
		if key not in documented:
			problems.append("[%s] %s: no '.It Ic %s' entry" % (section, key, key))
			continue
		words = documented[key][0]
		want = CORE_TYPE_WORDS[kind]
		if words[2:4] != ["Ar", want]:
			problems.append("[%s] %s: documented as %s, the code's type is %s" % (
			    section, key, " ".join(words[2:]), want))
	assert not problems, "\n".join(problems)


def test_no_documented_key_is_unknown_to_the_code(conf_page):
	known = {(section, key) for section, key, _, _ in key_specs()}
	stale = []
	for section in config_sections():
		if section == "route":
			continue
		for key in items(conf_page, "[%s]" % section):
			if (section, key) not in known:
				stale.append("[%s] %s" % (section, key))
	assert not stale, "documented keys the code does not accept: %s" % stale


def test_every_default_matches_config_defaults(conf_page):
	defaults, in_seconds, problems, checked = code_defaults(), seconds_fields(), [], 0
	for section, key, kind, field in key_specs():
		if field not in defaults:
			continue	# no built-in value (NULL): the entry explains what happens
		entry = items(conf_page, "[%s]" % section).get(key)
		if entry is None:
			continue	# reported by the test above
		text = documented_default(entry[1])
		code = defaults[field]
		if text is None:
			problems.append("[%s] %s: no 'The default is' (code: %r)" % (section, key, code))
			continue
		if kind == "KEY_DURATION":
			documented = parse_amount(text, DURATION_UNITS, 1000)
			same = documented == code * (1000 if field in in_seconds else 1)
		elif kind == "KEY_SIZE":
			same = parse_amount(text, SIZE_UNITS, 1) == code
		elif kind == "KEY_BOOL":
			same = text == ("yes" if code else "no")
		elif kind in ("KEY_LONG", "KEY_INT", "KEY_FRACTION"):
			same = float(text) == float(code)
		else:
			same = text == code
		checked += 1
		if not same:
			problems.append("[%s] %s: documented default %r, code has %r" % (section, key,
			    text, code))
	assert not problems, "\n".join(problems)
	assert checked >= 15, "only %d defaults could be compared" % checked


def test_every_route_kind_is_documented(conf_page):
	documented = set(items(conf_page, "[route]"))
	kinds = set(route_kinds())
	assert kinds <= documented, "undocumented [route] kinds: %s" % sorted(kinds - documented)
	assert documented <= kinds, "documented [route] kinds the code refuses: %s" % sorted(
	    documented - kinds)


def test_every_feed_option_is_documented(conf_page):
	documented = set(items(conf_page, "FEEDS LIST", macro="Cm"))
	options = set(feed_options())
	assert options <= documented, "undocumented feed options: %s" % sorted(
	    options - documented)
	assert documented <= options, "documented feed options the code refuses: %s" % sorted(
	    documented - options)


def test_every_plugin_option_is_documented_with_type_and_default(conf_page):
	problems = []
	for plugin, options in plugins().items():
		header = '[plugin "%s"]' % plugin
		if header not in conf_page:
			problems.append("plugin %s: no subsection %s" % (plugin, header))
			continue
		documented = items(conf_page, header)
		for name, default, kind in options:
			if name not in documented:
				problems.append("%s %s: no '.It Ic %s' entry" % (header, name, name))
				continue
			words, body = documented[name]
			if words[2:4] != ["Ar", PLUGIN_TYPE_WORDS[kind]]:
				problems.append("%s %s: documented as %s, the code's type is %s" % (
				    header, name, " ".join(words[2:]), PLUGIN_TYPE_WORDS[kind]))
			text = documented_default(body)
			if text != default:
				problems.append("%s %s: documented default %r, code has %r" % (header,
				    name, text, default))
		stale = set(documented) - {name for name, _, _ in options}
		if stale:
			problems.append("%s: documented options the plugin lacks: %s" % (header,
			    sorted(stale)))
	assert not problems, "\n".join(problems)


def test_example_config_uses_only_real_keys():
	"""conf/wiresift.conf, its commented-out "; key = value" examples included."""
	specs = {(section, key) for section, key, _, _ in key_specs()}
	plugin_options = {name: {o[0] for o in options} for name, options in plugins().items()}
	kinds, sections = set(route_kinds()), set(config_sections())
	section, problems, seen = None, [], 0
	for number, line in enumerate(EXAMPLE_CONF.read_text(encoding="utf-8").splitlines(), 1):
		line = line.strip()
		header = re.match(r"\[([^\]]+)\]", line)
		if header:
			section = header.group(1).strip()
			plugin = re.fullmatch(r'plugin\s+"([^"]+)"', section)
			if plugin and plugin.group(1) not in plugin_options:
				problems.append("%d: no plugin %s" % (number, plugin.group(1)))
			elif not plugin and section not in sections:
				problems.append("%d: unknown section [%s]" % (number, section))
			continue
		match = re.match(r"[;#]?\s*([A-Za-z_][\w.:-]*)\s*=\s*\S", line)
		if match is None or section is None:
			continue
		key, seen = match.group(1), seen + 1
		plugin = re.fullmatch(r'plugin\s+"([^"]+)"', section)
		if plugin:
			ok = key in plugin_options.get(plugin.group(1), ())
		elif section == "route":
			ok = key.split(":", 1)[0] in kinds and ":" in key
		elif section == "kafka":
			ok = (section, key) in specs or not key.startswith("topic.")
		else:
			ok = (section, key) in specs
		if not ok:
			problems.append("%d: [%s] %s is not a key wiresift accepts" % (number, section,
			    key))
	assert not problems, "conf/wiresift.conf:\n" + "\n".join(problems)
	assert seen >= 20, "only %d keys read from conf/wiresift.conf" % seen


# ---- wiresift(8) ----

def test_every_log_event_is_documented(daemon_page):
	events = log_events()
	documented = set(items(daemon_page, "LOGGING", macro="Cm"))
	missing = ["%s (%s)" % (event, ", ".join(where)) for event, where in sorted(events.items())
	    if event not in documented]
	assert not missing, "events missing from LOGGING in wiresift.8:\n" + "\n".join(missing)
	stale = documented - set(events)
	assert not stale, "LOGGING lists events no code emits: %s" % sorted(stale)


def test_command_line_is_documented(daemon_page):
	text = c_source(MAIN_C)
	table = re.search(r"struct option options\[\]\s*=\s*\{", text)
	assert table, "getopt_long option table not found in main.c"
	options_text = " ".join(" ".join(words) for _, words, _ in daemon_page["OPTIONS"]) + " "
	problems = []
	for entry in table_entries(braced_block(text, table.end() - 1)):
		name = re.match(r"\s*(%s)" % STRING_LITERAL, entry)
		short = re.search(r"'(\w)'\s*$", entry)
		if name and "Fl -%s " % unquote(name.group(1)) not in options_text:
			problems.append("--%s" % unquote(name.group(1)))
		if short and "Fl %s " % short.group(1) not in options_text:
			problems.append("-%s" % short.group(1))
	for short in re.search(r'getopt_long\([^"]*"\+?([^"]*)"', text).group(1).replace(":", ""):
		if "Fl %s " % short not in options_text:
			problems.append("-%s" % short)
	commands = set(re.findall(r'strcmp\(command,\s*"(\w+)"\)', text))
	assert commands, "no subcommands found in main.c"
	documented = set(items(daemon_page, "COMMANDS", macro="Cm"))
	problems += ["command %s" % c for c in sorted(commands - documented)]
	assert not problems, "not in wiresift.8: %s" % sorted(set(problems))


def test_signals_and_environment_are_documented(daemon_page):
	signals, variables = set(), set()
	for path in daemon_sources():
		text = c_source(path)
		signals |= set(re.findall(r"\bSIG[A-Z]+\b", text)) - {"SIG_IGN", "SIG_DFL"}
		variables |= {unquote(v) for v in re.findall(r"getenv\((%s)\)" % STRING_LITERAL,
		    text)}
	assert {"SIGTERM", "SIGHUP"} <= signals, "signal handling not found: %s" % signals
	signal_text = " ".join(" ".join(words) for _, words, _ in daemon_page["SIGNALS"])
	missing = [s for s in sorted(signals) if "Dv %s" % s not in signal_text]
	environment = set(items(daemon_page, "ENVIRONMENT", macro="Ev"))
	missing += [v for v in sorted(variables) if v not in environment]
	assert not missing, "not documented in wiresift.8: %s" % missing


# ---- rendering ----

@pytest.mark.parametrize("page", [DAEMON_PAGE, CONF_PAGE], ids=lambda p: p.name)
def test_page_renders_without_complaint(page):
	if shutil.which("man") is None:
		pytest.skip("man(1) is not installed")
	env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8")
	result = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True,
	    env=env, timeout=60)
	assert result.returncode == 0, result.stderr
	assert result.stderr == "", "man -l %s complained:\n%s" % (page.name, result.stderr)
	assert "NAME" in result.stdout and len(result.stdout.splitlines()) > 50


@pytest.mark.parametrize("page", [DAEMON_PAGE, CONF_PAGE], ids=lambda p: p.name)
def test_page_passes_mandoc_lint(page):
	if shutil.which("mandoc") is None:
		pytest.skip("mandoc is not installed (apt-get install mandoc)")
	result = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", str(page)],
	    capture_output=True, text=True, timeout=60)
	assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
