//! Reading settings value by value, from `.kg-ls.toml` text (with positions) or from a client's
//! JSON, into one [`Settings`] and a [`Problem`] for each bad key or value.
//!
//! Both inputs become the same small tree ([`Node`]) and one walk fills the settings from it,
//! so the two sources cannot drift apart. A bad key or value costs only itself: the rest still
//! loads. A number outside its range ([`Limit`]) is reported and clamped. In a file, an unknown
//! key is reported with a suggestion; from a client it is ignored (clients send their own keys)
//! and only logged at debug level. A null, an empty string or an empty list from a client means
//! "not set". Pure: no I/O.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Display;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::{
    CACHE_DIR_BYTES, CLIENT_SETTINGS, COMPLETION_LIMIT, HOVER_MAX_LENGTH, KG_PATH_BYTES, KG_PATHS, Limit,
    METHOD_BUDGET_MS, METHOD_NAME_BYTES, MONITOR_INTERVAL_MS, MONITOR_MEMORY_LIMIT_MB, SEARCH_CACHE_DISK_MIB,
    SEARCH_CACHE_ENTRIES, SEARCH_CACHE_MEMORY_KIB, SEARCH_DEADLINE_MS, SYMBOL_LIMIT, Settings,
};
use crate::check::{CheckId, Level};
use crate::kg::Problem;

/// Reads `.kg-ls.toml` text: everything valid, and a problem (line, column, key) for the rest.
pub fn from_toml_text(path: &Path, text: &str) -> (Settings, Vec<Problem>) {
    let (table, errors) = toml::de::DeTable::parse_recoverable(text);
    let mut w = Walker { file: Some((path, text)), problems: Vec::new() };
    for e in &errors {
        let at = e.span();
        let message = e.message().trim_end().replace('\n', " ");
        w.report(&at, None, format!("invalid TOML: {message}; the rest of the file is used"));
    }
    let root = Node { value: table_of(table.get_ref()), at: None };
    let settings = w.settings(&root);
    let mut problems = w.problems;
    problems.sort_by_key(|(offset, _)| *offset);
    (settings, problems.into_iter().map(|(_, p)| p).collect())
}

/// Reads settings a client sent (initialization options or `workspace/didChangeConfiguration`):
/// the object itself or `{"kg-ls": {…}}`.
pub fn from_json(value: &serde_json::Value) -> (Settings, Vec<Problem>) {
    let value = match value.get("kg-ls") {
        Some(inner) if inner.is_object() => inner,
        _ => value,
    };
    let mut w = Walker { file: None, problems: Vec::new() };
    let settings = w.settings(&json(value));
    (settings, w.problems.into_iter().map(|(_, p)| p).collect())
}

/// A value from either source, and where it is in the file (TOML only).
struct Node<'a> {
    value: Value<'a>,
    at: Option<Range<usize>>,
}

enum Value<'a> {
    Null,
    Bool(bool),
    /// `None`: a whole number too large for 128 bits.
    Int(Option<i128>),
    Float(f64),
    Str(Cow<'a, str>),
    List(Vec<Node<'a>>),
    /// Key, the key's place in the file, value.
    Table(Vec<(Cow<'a, str>, Option<Range<usize>>, Node<'a>)>),
    Date,
}

fn toml_node<'a>(v: &'a toml::Spanned<toml::de::DeValue<'a>>) -> Node<'a> {
    use toml::de::DeValue as D;
    let value = match v.get_ref() {
        D::String(s) => Value::Str(Cow::Borrowed(s.as_ref())),
        D::Integer(i) => Value::Int(i128::from_str_radix(i.as_str(), i.radix()).ok()),
        D::Float(f) => Value::Float(f.as_str().parse().unwrap_or(f64::NAN)),
        D::Boolean(b) => Value::Bool(*b),
        D::Datetime(_) => Value::Date,
        D::Array(a) => Value::List(a.iter().map(toml_node).collect()),
        D::Table(t) => table_of(t),
    };
    Node { value, at: Some(v.span()) }
}

fn table_of<'a>(t: &'a toml::de::DeTable<'a>) -> Value<'a> {
    Value::Table(t.iter().map(|(k, v)| (Cow::Borrowed(k.get_ref().as_ref()), Some(k.span()), toml_node(v))).collect())
}

fn json(v: &serde_json::Value) -> Node<'_> {
    use serde_json::Value as J;
    let value = match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(Some(i.into())),
            (_, Some(u)) => Value::Int(Some(u.into())),
            _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::Str(Cow::Borrowed(s)),
        J::Array(a) => Value::List(a.iter().map(json).collect()),
        J::Object(o) => Value::Table(o.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), None, json(v))).collect()),
    };
    Node { value, at: None }
}

impl Value<'_> {
    /// How a problem shows the value: strings quoted and cut, containers by kind.
    fn shown(&self) -> String {
        match self {
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(Some(i)) => i.to_string(),
            Value::Int(None) => "a number too large".to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => {
                let cut = crate::kg::cut_at_char(s, 40);
                if cut.len() < s.len() { format!("{cut:?}…") } else { format!("{s:?}") }
            }
            Value::List(_) => "a list".to_string(),
            Value::Table(_) => "a table".to_string(),
            Value::Date => "a date".to_string(),
        }
    }

    /// Null, an empty string or an empty list: what an editor sends for a setting left unset.
    fn is_unset(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Str(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            _ => false,
        }
    }
}

struct Walker<'t> {
    /// The file and its text, for positions; `None` for client settings.
    file: Option<(&'t Path, &'t str)>,
    /// With the byte offset they are at, to sort a file's problems into reading order.
    problems: Vec<(usize, Problem)>,
}

const SECTIONS: &[&str] = &["kg", "completion", "symbols", "hover", "monitor", "search", "navigation", "checks"];

impl Walker<'_> {
    fn settings(&mut self, root: &Node<'_>) -> Settings {
        let mut s = Settings::default();
        let Value::Table(entries) = &root.value else {
            if !root.value.is_unset() {
                self.report(&root.at, None, format!("expected an object of settings, got {}", root.value.shown()));
            }
            return s;
        };
        for (name, at, node) in entries {
            if name == "checks" {
                s.checks = self.checks(node);
                continue;
            }
            let fields: &[&str] = match &**name {
                "kg" => &["paths"],
                "completion" | "symbols" => &["limit"],
                "hover" => &["max_length"],
                "monitor" => &["memory_limit_mb", "interval_ms", "budgets_ms"],
                "search" => &[
                    "deadline_ms",
                    "full_text",
                    "cache_entries",
                    "cache_memory_kib",
                    "cache_disk_mib",
                    "cache_dir",
                    "warm",
                    "include",
                    "exclude",
                ],
                "navigation" => &["semantic_tokens", "semantic_tokens_in_code", "inlay_hints"],
                other => {
                    self.unknown(at, other, "section", SECTIONS);
                    continue;
                }
            };
            for (field, node) in self.section(name, node, fields) {
                let key = format!("{name}.{field}");
                let key = key.as_str();
                match key {
                    "kg.paths" => s.kg.paths = self.paths(node, key),
                    "completion.limit" => s.completion.limit = self.whole(node, COMPLETION_LIMIT).map(to_usize),
                    "symbols.limit" => s.symbols.limit = self.whole(node, SYMBOL_LIMIT).map(to_usize),
                    "hover.max_length" => s.hover.max_length = self.whole(node, HOVER_MAX_LENGTH).map(to_usize),
                    "monitor.memory_limit_mb" => s.monitor.memory_limit_mb = self.whole(node, MONITOR_MEMORY_LIMIT_MB),
                    "monitor.interval_ms" => s.monitor.interval_ms = self.whole(node, MONITOR_INTERVAL_MS),
                    "monitor.budgets_ms" => s.monitor.budgets_ms = self.budgets(node),
                    "search.deadline_ms" => s.search.deadline_ms = self.whole(node, SEARCH_DEADLINE_MS),
                    "search.full_text" => s.search.full_text = self.boolean(node, key),
                    "search.cache_entries" => {
                        s.search.cache_entries = self.whole(node, SEARCH_CACHE_ENTRIES).map(to_usize);
                    }
                    "search.cache_memory_kib" => {
                        s.search.cache_memory_kib = self.whole(node, SEARCH_CACHE_MEMORY_KIB).map(to_usize);
                    }
                    "search.cache_disk_mib" => s.search.cache_disk_mib = self.whole(node, SEARCH_CACHE_DISK_MIB),
                    "search.cache_dir" => s.search.cache_dir = self.string(node, key, CACHE_DIR_BYTES),
                    "search.warm" => s.search.warm = self.boolean(node, key),
                    "search.include" => s.search.include = self.globs(node, key),
                    "search.exclude" => s.search.exclude = self.globs(node, key),
                    "navigation.semantic_tokens" => s.navigation.semantic_tokens = self.boolean(node, key),
                    "navigation.semantic_tokens_in_code" => {
                        s.navigation.semantic_tokens_in_code = self.boolean(node, key);
                    }
                    "navigation.inlay_hints" => s.navigation.inlay_hints = self.boolean(node, key),
                    _ => unreachable!("every field of {name} is matched"),
                }
            }
        }
        s
    }

    /// The known fields of a section that are set; unknown ones are reported or logged.
    fn section<'n, 'a>(
        &mut self,
        name: &str,
        node: &'n Node<'a>,
        fields: &[&'static str],
    ) -> Vec<(&'static str, &'n Node<'a>)> {
        let entries = match &node.value {
            Value::Table(entries) => entries,
            v if v.is_unset() => return Vec::new(),
            v => {
                let what = format!("expected a table (`[{name}]`), got {}; the section is ignored", v.shown());
                self.report(&node.at, Some(name), what);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (field, at, value) in entries {
            match fields.iter().find(|f| **f == field) {
                Some(f) if !value.value.is_unset() => out.push((*f, value)),
                Some(_) => {}
                None => self.unknown(at, &format!("{name}.{field}"), "key", fields),
            }
        }
        out
    }

    fn unknown(&mut self, at: &Option<Range<usize>>, key: &str, what: &str, known: &[&str]) {
        if self.file.is_none() {
            tracing::debug!("client settings: ignoring `{key}`, which kg-ls does not use");
            return;
        }
        let last = key.rsplit('.').next().unwrap_or(key);
        let near = known
            .iter()
            .copied()
            .filter(|k| strsim::damerau_levenshtein(k, last) <= 2)
            .min_by_key(|k| strsim::damerau_levenshtein(k, last));
        let hint = match near {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!("known: {}", known.join(", ")),
        };
        let shown = if what == "section" { format!("[{key}]") } else { key.to_string() };
        self.report(at, None, format!("unknown {what} `{shown}` ({hint}); it is ignored"));
    }

    /// A whole number in `limit`'s range; outside it, clamped; not a number, `None`.
    fn whole(&mut self, node: &Node<'_>, limit: Limit) -> Option<u64> {
        self.whole_at(node, limit.key, limit)
    }

    /// [`Walker::whole`] for a key that is not the limit's own (a budget's method).
    fn whole_at(&mut self, node: &Node<'_>, key: &str, limit: Limit) -> Option<u64> {
        let n = match node.value {
            Value::Int(Some(i)) => Some(i),
            Value::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30 => Some(f as i128),
            _ => None,
        };
        let Some(n) = n else {
            let what = format!(
                "expected a whole number from {} to {}, got {}; the default {} is used",
                limit.min,
                limit.max,
                node.value.shown(),
                limit.default
            );
            self.report(&node.at, Some(key), what);
            return None;
        };
        let (min, max) = (i128::from(limit.min), i128::from(limit.max));
        if n < min || n > max {
            let used = n.clamp(min, max);
            let bound = if n < min { "less than the least" } else { "more than the most" };
            self.report(&node.at, Some(key), format!("{n} is {bound} allowed, {used}; {used} is used"));
        }
        Some(n.clamp(min, max) as u64)
    }

    fn boolean(&mut self, node: &Node<'_>, key: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            ref v => {
                self.report(&node.at, Some(key), format!("expected true or false, got {}; it is ignored", v.shown()));
                None
            }
        }
    }

    fn string(&mut self, node: &Node<'_>, key: &str, max: usize) -> Option<String> {
        match &node.value {
            Value::Str(s) if s.len() <= max && !s.contains('\0') => Some(s.to_string()),
            Value::Str(s) if s.contains('\0') => {
                self.report(&node.at, Some(key), "contains a NUL character; it is ignored");
                None
            }
            Value::Str(s) => {
                self.report(&node.at, Some(key), format!("is {} bytes, more than {max}; it is ignored", s.len()));
                None
            }
            v => {
                self.report(&node.at, Some(key), format!("expected a string, got {}; it is ignored", v.shown()));
                None
            }
        }
    }

    /// `kg.paths`: a list of paths (a single string is a list of one); bad entries are skipped.
    fn paths(&mut self, node: &Node<'_>, key: &str) -> Option<Vec<String>> {
        self.strings(node, key, ("paths", r#"["kg"]"#), &|_| Ok(()))
    }

    /// `search.include` / `search.exclude`: a list of globs (a single string is a list of
    /// one); an entry that is not a glob is reported and skipped.
    fn globs(&mut self, node: &Node<'_>, key: &str) -> Option<Vec<String>> {
        let check = |g: &str| match globset::Glob::new(g) {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("{g:?} is not a glob ({})", e.kind())),
        };
        self.strings(node, key, ("globs", r#"["**/*.md"]"#), &check)
    }

    /// A list of at most [`KG_PATHS`] non-empty strings of at most [`KG_PATH_BYTES`] bytes
    /// (`what`: their name and an example list), each passing `check`; the rest are reported.
    fn strings(
        &mut self,
        node: &Node<'_>,
        key: &str,
        (noun, example): (&str, &str),
        check: &dyn Fn(&str) -> Result<(), String>,
    ) -> Option<Vec<String>> {
        let items: Vec<&Node<'_>> = match &node.value {
            Value::List(items) => items.iter().collect(),
            Value::Str(_) => vec![node],
            v => {
                let what = format!("expected a list of {noun}, e.g. {example}, got {}; it is ignored", v.shown());
                self.report(&node.at, Some(key), what);
                return None;
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let k = format!("{key}[{i}]");
            if out.len() == KG_PATHS {
                self.report(&item.at, Some(&k), format!("more than {KG_PATHS} {noun}; the rest are ignored"));
                break;
            }
            if let Some(v) = self.string(item, &k, KG_PATH_BYTES) {
                match check(&v) {
                    _ if v.trim().is_empty() => self.report(&item.at, Some(&k), "is empty; it is ignored"),
                    Ok(()) => out.push(v),
                    Err(why) => self.report(&item.at, Some(&k), format!("{why}; it is ignored")),
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// `[checks]`: check id → level. An unknown id or a bad level is reported (with a
    /// suggestion) and that check keeps its default.
    fn checks(&mut self, node: &Node<'_>) -> BTreeMap<CheckId, Level> {
        let mut out = BTreeMap::new();
        let ids: Vec<&str> = CheckId::ALL.iter().map(|c| c.id()).collect();
        let levels: Vec<&str> = Level::ALL.iter().map(|l| l.name()).collect();
        for (field, value) in self.section("checks", node, &ids) {
            let key = format!("checks.{field}");
            let Some(check) = CheckId::from_id(field) else { continue };
            let level = match &value.value {
                Value::Str(s) => Level::from_name(s),
                _ => None,
            };
            match level {
                Some(level) => {
                    out.insert(check, level);
                }
                None => {
                    let v = &value.value;
                    let what = format!(
                        "expected one of {}, got {}; the default {} is used",
                        levels.join(", "),
                        v.shown(),
                        check.default_level().name()
                    );
                    self.report(&value.at, Some(&key), what);
                }
            }
        }
        out
    }

    /// `monitor.budgets_ms`: method name → milliseconds.
    fn budgets(&mut self, node: &Node<'_>) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        let Value::Table(entries) = &node.value else {
            let what = format!(
                "expected a table of method = milliseconds, e.g. {{ \"textDocument/completion\" = 10 }}, got {}; it is ignored",
                node.value.shown()
            );
            self.report(&node.at, Some(METHOD_BUDGET_MS.key), what);
            return out;
        };
        for (method, at, value) in entries {
            let key = format!("monitor.budgets_ms.{method}");
            if method.len() > METHOD_NAME_BYTES {
                let what = format!("a method name of more than {METHOD_NAME_BYTES} bytes; it is ignored");
                self.report(at, Some("monitor.budgets_ms"), what);
                continue;
            }
            if value.value.is_unset() {
                continue;
            }
            if let Some(ms) = self.whole_at(value, &key, METHOD_BUDGET_MS) {
                out.insert(method.to_string(), ms);
            }
        }
        out
    }

    fn report(&mut self, at: &Option<Range<usize>>, key: Option<&str>, what: impl Display) {
        let message = match key {
            Some(k) => format!("{k}: {what}"),
            None => what.to_string(),
        };
        let offset = at.as_ref().map_or(0, |r| r.start);
        let problem = match self.file {
            Some((path, text)) => match at {
                Some(r) => {
                    let (line, column) = position(text, r.start);
                    Problem {
                        path: path.to_path_buf(),
                        line: Some(line),
                        message: format!("column {column}: {message}"),
                    }
                }
                None => Problem { path: path.to_path_buf(), line: None, message },
            },
            None => Problem { path: PathBuf::from(CLIENT_SETTINGS), line: None, message },
        };
        self.problems.push((offset, problem));
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Zero-based line and one-based column (in characters) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (u32, usize) {
    let before = crate::kg::cut_at_char(text, offset);
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (u32::try_from(line).unwrap_or(u32::MAX), before[start..].chars().count() + 1)
}
