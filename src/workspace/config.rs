//! Which knowledge-graph paths, limits and hover length a workspace uses.
//!
//! Precedence: the client's settings, then `.kg-ls.toml` at a workspace root, then the
//! conventional `kg/` and `.terraphim/kg/` folders. Reading the file is the caller's job (see
//! [`super::load_config_file`]); reading its text ([`read_settings`]) or a client's JSON
//! ([`settings_from_json`]) and resolving ([`resolve`]) are pure.
//!
//! Settings are read key by key: a bad key or value is a [`Problem`] that says where it is
//! (file, line, column and key, or the key path of client settings), and everything valid still
//! loads. A null, an empty string or an empty list from a client means "not set". Every value
//! has a range; one outside it is reported and clamped, never trusted, and [`resolve`] clamps
//! again whatever built the [`Settings`]:
//!
//! | key                        | type             | default              | range                  |
//! |----------------------------|------------------|----------------------|------------------------|
//! | `kg.paths`                 | list of strings  | `kg/`, `.terraphim/kg/` | 1–1024 paths of 1–4096 bytes |
//! | `completion.limit`         | whole number     | 50                   | 1–1000                 |
//! | `symbols.limit`            | whole number     | 128                  | 1–5000                 |
//! | `hover.max_length`         | whole number     | 4000                 | 200–100000             |
//! | `monitor.memory_limit_mb`  | whole number     | 100                  | 1–1048576              |
//! | `monitor.interval_ms`      | whole number     | 1000                 | 10–3600000             |
//! | `monitor.budgets_ms.<m>`   | whole number     | built in             | 0–600000 (0: warn always) |
//! | `search.deadline_ms`       | whole number     | 200                  | 1–10000                |
//! | `search.full_text`         | true or false    | true                 |                        |
//! | `search.cache_entries`     | whole number     | 1024                 | 1–16384                |
//! | `search.cache_memory_kib`  | whole number     | 32768                | 0–1048576              |
//! | `search.cache_disk_mib`    | whole number     | 256                  | 0–16384                |
//! | `search.cache_dir`         | string           | the user cache folder | 1–4096 bytes          |
//! | `search.warm`              | true or false    | true                 |                        |
//! | `search.include`           | list of globs    | `**/*.md`, `**/*.markdown`, `**/*.txt` | 1–1024 globs |
//! | `search.exclude`           | list of globs    | licences, `node_modules`, `target`, `dist`, `build` | 1–1024 globs |
//! | `navigation.semantic_tokens` | true or false | true                 |                        |
//! | `navigation.semantic_tokens_in_code` | true or false | false        |                        |
//! | `navigation.inlay_hints`   | true or false    | false                |                        |
//! | `checks.<check id>`        | `off`, `hint`, `info`, `warning`, `error` | the check's own ([`crate::check::CheckId::default_level`]) | |
//!
//! A number outside its range is clamped to the nearest end; a value of the wrong type, an
//! over-long string or path, or an unknown key is reported and ignored (the default applies).
//! docs/settings.md has the same table for users, and the caps on input lengths.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::kg::{KgSource, Problem};

mod walk;

/// What client settings' problems name as their path.
pub const CLIENT_SETTINGS: &str = "client settings";

/// The name of the per-workspace configuration file.
pub const CONFIG_FILE: &str = ".kg-ls.toml";

/// Default number of completion items.
pub const DEFAULT_COMPLETION_LIMIT: usize = 50;
/// Default number of workspace symbols.
pub const DEFAULT_SYMBOL_LIMIT: usize = 128;
/// Default length of a hover or a completion's documentation, in bytes.
pub const DEFAULT_HOVER_MAX_LENGTH: usize = crate::render::DEFAULT_MAX_LENGTH;

/// The range and default of one numeric setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The key path, as problems name it.
    pub key: &'static str,
    pub min: u64,
    pub max: u64,
    pub default: u64,
}

impl Limit {
    /// `n`, clamped into the range.
    pub fn clamp(&self, n: u64) -> u64 {
        n.clamp(self.min, self.max)
    }
}

pub const COMPLETION_LIMIT: Limit =
    Limit { key: "completion.limit", min: 1, max: 1000, default: DEFAULT_COMPLETION_LIMIT as u64 };
pub const SYMBOL_LIMIT: Limit = Limit { key: "symbols.limit", min: 1, max: 5000, default: DEFAULT_SYMBOL_LIMIT as u64 };
pub const HOVER_MAX_LENGTH: Limit =
    Limit { key: "hover.max_length", min: 200, max: 100_000, default: DEFAULT_HOVER_MAX_LENGTH as u64 };
pub const MONITOR_MEMORY_LIMIT_MB: Limit = Limit { key: "monitor.memory_limit_mb", min: 1, max: 1 << 20, default: 100 };
pub const MONITOR_INTERVAL_MS: Limit = Limit { key: "monitor.interval_ms", min: 10, max: 3_600_000, default: 1000 };
/// Each entry of `monitor.budgets_ms`; the default is the method's built-in budget.
pub const METHOD_BUDGET_MS: Limit = Limit { key: "monitor.budgets_ms", min: 0, max: 600_000, default: 0 };
pub const SEARCH_DEADLINE_MS: Limit = Limit { key: "search.deadline_ms", min: 1, max: 10_000, default: 200 };
pub const SEARCH_CACHE_ENTRIES: Limit = Limit { key: "search.cache_entries", min: 1, max: 16_384, default: 1024 };
pub const SEARCH_CACHE_MEMORY_KIB: Limit =
    Limit { key: "search.cache_memory_kib", min: 0, max: 1 << 20, default: 32 << 10 };
pub const SEARCH_CACHE_DISK_MIB: Limit = Limit { key: "search.cache_disk_mib", min: 0, max: 16_384, default: 256 };

/// The most paths `kg.paths` may list.
pub const KG_PATHS: usize = 1024;
/// The longest path in `kg.paths`, in bytes.
pub const KG_PATH_BYTES: usize = 4096;
/// The longest `search.cache_dir`, in bytes.
pub const CACHE_DIR_BYTES: usize = 4096;
/// The longest method name in `monitor.budgets_ms`, in bytes.
pub const METHOD_NAME_BYTES: usize = 256;

/// Settings as a user writes them, in `.kg-ls.toml` or as client settings.
///
/// Read them with [`read_settings`] or [`settings_from_json`], which check every value; the
/// `Deserialize` impl checks nothing and is kept only for older callers.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub kg: KgSettings,
    pub completion: LimitSettings,
    pub symbols: LimitSettings,
    pub monitor: MonitorSettings,
    pub hover: HoverSettings,
    pub search: SearchSettings,
    pub navigation: NavigationSettings,
    /// `[checks]`: a level for each check set, by check (client wins over the file per check).
    #[serde(skip)]
    pub checks: std::collections::BTreeMap<crate::check::CheckId, crate::check::Level>,
    /// What [`parse_settings`] found wrong in the file these settings come from (each bad key
    /// was left out); [`resolve`] reports them with its own. Empty from [`settings_from_json`],
    /// which returns its problems instead.
    #[serde(skip)]
    pub problems: Vec<Problem>,
}

impl Settings {
    /// [`settings_from_json`], reachable as `workspace::Settings::from_json`.
    pub fn from_json(value: &serde_json::Value) -> (Settings, Vec<Problem>) {
        settings_from_json(value)
    }
}

/// `[monitor]`: the performance monitor's limits.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorSettings {
    /// Resident memory (MB) above which a warning is shown; default 100.
    pub memory_limit_mb: Option<u64>,
    /// How often process figures are sampled and alerts checked (ms); default 1000.
    pub interval_ms: Option<u64>,
    /// Per-method p95 budgets (ms) that override the built-in ones.
    pub budgets_ms: std::collections::BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct HoverSettings {
    /// The most bytes a hover or a completion's documentation shows (see [`crate::render::RenderConfig`]).
    pub max_length: Option<usize>,
}

/// `[search]`: how workspace symbol search runs and caches.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSettings {
    /// The overall deadline of one search, in milliseconds.
    pub deadline_ms: Option<u64>,
    /// Whether the lines of text files are searched too.
    pub full_text: Option<bool>,
    /// Most results kept in memory (L1).
    pub cache_entries: Option<usize>,
    /// Most compressed bytes of results kept in memory (L2), in KiB.
    pub cache_memory_kib: Option<usize>,
    /// Most bytes of results kept on disk (L3), in MiB; 0 turns the disk cache off.
    pub cache_disk_mib: Option<u64>,
    /// Where the disk cache lives, instead of the user cache directory.
    pub cache_dir: Option<String>,
    /// Whether likely next queries are computed ahead of time when the server is idle.
    pub warm: Option<bool>,
    /// Globs (relative to a workspace root) of the documents full text indexes.
    pub include: Option<Vec<String>>,
    /// Globs of files full text never indexes.
    pub exclude: Option<Vec<String>>,
}

/// Resolved `[search]` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchConfig {
    pub deadline_ms: u64,
    pub full_text: bool,
    pub cache_entries: usize,
    pub cache_memory_bytes: usize,
    pub cache_disk_bytes: u64,
    /// `None`: the default user cache directory.
    pub cache_dir: Option<PathBuf>,
    pub warm: bool,
    /// Globs of the documents full text indexes, and of the files it never does.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            deadline_ms: 200,
            full_text: true,
            cache_entries: 1024,
            cache_memory_bytes: 32 << 20,
            cache_disk_bytes: 256 << 20,
            cache_dir: None,
            warm: true,
            include: crate::search::text::DEFAULT_INCLUDE.iter().map(|s| s.to_string()).collect(),
            exclude: crate::search::text::DEFAULT_EXCLUDE.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// `[navigation]`: how a document's terms are shown (semantic tokens and inlay hints).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct NavigationSettings {
    /// Whether terms are marked as semantic tokens at all.
    pub semantic_tokens: Option<bool>,
    /// Whether terms in code blocks and inline code are marked too.
    pub semantic_tokens_in_code: Option<bool>,
    /// Whether the canonical name is shown after each synonym.
    pub inlay_hints: Option<bool>,
}

/// Resolved `[navigation]` settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NavigationConfig {
    pub semantic_tokens: bool,
    pub semantic_tokens_in_code: bool,
    pub inlay_hints: bool,
}

impl Default for NavigationConfig {
    fn default() -> Self {
        NavigationConfig { semantic_tokens: true, semantic_tokens_in_code: false, inlay_hints: false }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct KgSettings {
    /// Folders of concept files and/or thesaurus files.
    pub paths: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    pub limit: Option<usize>,
}

/// The resolved configuration of one workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub roots: Vec<PathBuf>,
    pub sources: Vec<KgSource>,
    pub completion_limit: usize,
    pub symbol_limit: usize,
    pub monitor: MonitorSettings,
    pub hover_max_length: usize,
    pub search: SearchConfig,
    /// The level of every terminology check (`[checks]`).
    pub checks: crate::check::Levels,
    pub navigation: NavigationConfig,
}

/// Reads `.kg-ls.toml` text key by key: everything valid, and a problem with its line, column
/// and key for everything else (syntax errors included: the parser recovers and goes on).
pub fn read_settings(path: &Path, text: &str) -> (Settings, Vec<Problem>) {
    walk::from_toml_text(path, text)
}

/// [`read_settings`] with the problems kept in [`Settings::problems`], for [`resolve`] to
/// report. It cannot fail: nothing in a file can make the rest of it unreadable.
pub fn parse_settings(path: &Path, text: &str) -> Settings {
    let (mut settings, problems) = read_settings(path, text);
    settings.problems = problems;
    settings
}

/// Reads the settings a client sends, as initialization options or through
/// `workspace/didChangeConfiguration`: the object of settings or `{"kg-ls": {…}}`.
///
/// Keys kg-ls does not know are ignored (clients send their own) and logged at debug level.
/// A null, an empty string or an empty list is "not set" (VS Code sends `"kg": {"paths": []}`
/// for a setting left unset), so it never replaces `.kg-ls.toml`. A bad value is a problem
/// named by its key path, whose `path` is [`CLIENT_SETTINGS`] and `line` is `None`, e.g.
/// `completion.limit: expected a whole number from 1 to 1000, got "ten"; the default 50 is
/// used`; a number outside its range is clamped.
pub fn settings_from_json(value: &serde_json::Value) -> (Settings, Vec<Problem>) {
    walk::from_json(value)
}

/// Resolves the configuration. `client` are the client's settings; `files` holds each root's
/// parsed `.kg-ls.toml` where one exists; `exists` tells whether a path exists.
///
/// The problems returned are those the files' settings carry ([`Settings::problems`]), then
/// values that had to be clamped here, then a missing knowledge graph.
pub fn resolve(
    roots: &[PathBuf],
    client: Option<&Settings>,
    files: &[(PathBuf, Settings)],
    exists: &dyn Fn(&Path) -> bool,
) -> (Config, Vec<Problem>) {
    let mut problems: Vec<Problem> = files.iter().flat_map(|(_, s)| s.problems.iter().cloned()).collect();
    let mut sources = Vec::new();
    let base = roots.first().cloned().unwrap_or_default();
    // An empty list is "not set", wherever it comes from.
    fn paths_of(s: &Settings) -> Option<&Vec<String>> {
        s.kg.paths.as_ref().filter(|p| p.iter().any(|p| !p.trim().is_empty()))
    }
    if let Some(paths) = client.and_then(paths_of) {
        sources.extend(paths.iter().filter(|p| !p.trim().is_empty()).map(|p| KgSource { path: source_path(&base, p) }));
    } else if files.iter().any(|(_, s)| paths_of(s).is_some()) {
        for (root, s) in files {
            for p in paths_of(s).into_iter().flatten().filter(|p| !p.trim().is_empty()) {
                sources.push(KgSource { path: source_path(root, p) });
            }
        }
    } else {
        for root in roots {
            for conventional in ["kg", ".terraphim/kg"] {
                let path = root.join(conventional);
                if exists(&path) {
                    sources.push(KgSource { path });
                }
            }
        }
        if sources.is_empty() {
            let message = match files.first() {
                Some((root, s)) => {
                    let file = root.join(CONFIG_FILE);
                    let why = if s.problems.is_empty() { "" } else { " (see the problems reported for it)" };
                    format!(
                        "no knowledge graph configured: {} sets no usable `[kg] paths`{why}, and there is no kg/ folder",
                        file.display()
                    )
                }
                None => format!(
                    "no knowledge graph configured: add `[kg] paths = [...]` to {CONFIG_FILE}, pass `kg.paths` as initialization options, or create a kg/ folder"
                ),
            };
            problems.push(Problem { path: base.clone(), line: None, message });
        }
    }
    // `kg` and `./kg/` are one source: loading it twice would only cost time.
    let mut seen = std::collections::HashSet::new();
    sources.retain(|s| seen.insert(s.path.clone()));
    let mut clamp = Clamp { base: &base, problems: &mut problems };
    let pick =
        |f: &dyn Fn(&Settings) -> Option<usize>| client.and_then(f).or_else(|| files.iter().find_map(|(_, s)| f(s)));
    let completion_limit = clamp.usize(pick(&|s| s.completion.limit), COMPLETION_LIMIT);
    let symbol_limit = clamp.usize(pick(&|s| s.symbols.limit), SYMBOL_LIMIT);
    let hover_max_length = clamp.usize(pick(&|s| s.hover.max_length), HOVER_MAX_LENGTH);
    let monitor = client
        .map(|s| &s.monitor)
        .filter(|m| **m != MonitorSettings::default())
        .or_else(|| files.iter().map(|(_, s)| &s.monitor).find(|m| **m != MonitorSettings::default()))
        .cloned()
        .unwrap_or_default();
    let monitor = MonitorSettings {
        memory_limit_mb: monitor.memory_limit_mb.map(|n| clamp.u64(Some(n), MONITOR_MEMORY_LIMIT_MB)),
        interval_ms: monitor.interval_ms.map(|n| clamp.u64(Some(n), MONITOR_INTERVAL_MS)),
        budgets_ms: monitor.budgets_ms.into_iter().map(|(m, n)| (m, clamp.u64(Some(n), METHOD_BUDGET_MS))).collect(),
    };
    let search = resolve_search(&base, client, files, &mut clamp);
    let flag = |f: &dyn Fn(&NavigationSettings) -> Option<bool>| {
        client.and_then(|s| f(&s.navigation)).or_else(|| files.iter().find_map(|(_, s)| f(&s.navigation)))
    };
    let d = NavigationConfig::default();
    let navigation = NavigationConfig {
        semantic_tokens: flag(&|n| n.semantic_tokens).unwrap_or(d.semantic_tokens),
        semantic_tokens_in_code: flag(&|n| n.semantic_tokens_in_code).unwrap_or(d.semantic_tokens_in_code),
        inlay_hints: flag(&|n| n.inlay_hints).unwrap_or(d.inlay_hints),
    };
    let mut checks = crate::check::Levels::default();
    for check in crate::check::CheckId::ALL {
        let set =
            client.and_then(|s| s.checks.get(&check)).or_else(|| files.iter().find_map(|(_, s)| s.checks.get(&check)));
        if let Some(level) = set {
            checks.set(check, *level);
        }
    }
    let config = Config {
        roots: roots.to_vec(),
        sources,
        completion_limit,
        symbol_limit,
        monitor,
        hover_max_length,
        search,
        checks,
        navigation,
    };
    (config, problems)
}

/// Clamps resolved values into their ranges, reporting each value that was outside (which only
/// settings built without [`read_settings`] or [`settings_from_json`] can hold).
struct Clamp<'a> {
    base: &'a Path,
    problems: &'a mut Vec<Problem>,
}

impl Clamp<'_> {
    fn u64(&mut self, n: Option<u64>, limit: Limit) -> u64 {
        let Some(n) = n else { return limit.default };
        let used = limit.clamp(n);
        if used != n {
            self.problems.push(Problem {
                path: self.base.to_path_buf(),
                line: None,
                message: format!("{}: {n} is outside {}–{}; {used} is used", limit.key, limit.min, limit.max),
            });
        }
        used
    }

    fn usize(&mut self, n: Option<usize>, limit: Limit) -> usize {
        let n = n.map(|n| u64::try_from(n).unwrap_or(u64::MAX));
        usize::try_from(self.u64(n, limit)).unwrap_or(usize::MAX)
    }
}

/// A configured source path as the user means it, and as locations should show it: relative to
/// `base`, `~/` for the home folder, without `.` components, repeated separators or `..` after
/// a name (`/ws/./kg/../glossary.json` is `/ws/glossary.json`). The clean-up is lexical, as in
/// editors' own paths: a `..` after a symbolic link goes back up the link.
fn source_path(base: &Path, configured: impl AsRef<Path>) -> PathBuf {
    use std::path::Component;
    let configured = configured.as_ref();
    let home = configured.strip_prefix("~").ok().zip(std::env::var_os("HOME"));
    let joined = match home {
        Some((rest, home)) => Path::new(&home).join(rest),
        None => base.join(configured),
    };
    let mut clean = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(clean.components().next_back(), Some(Component::Normal(_))) => {
                clean.pop();
            }
            // `/..` is `/`.
            Component::ParentDir if clean.has_root() => {}
            c => clean.push(c),
        }
    }
    clean
}

/// `[search]` from the client's settings, else the first file that sets each value.
fn resolve_search(
    base: &Path,
    client: Option<&Settings>,
    files: &[(PathBuf, Settings)],
    clamp: &mut Clamp<'_>,
) -> SearchConfig {
    fn pick<T: Clone>(
        client: Option<&Settings>,
        files: &[(PathBuf, Settings)],
        f: impl Fn(&SearchSettings) -> Option<T>,
    ) -> Option<(T, Option<PathBuf>)> {
        client
            .and_then(|s| f(&s.search))
            .map(|v| (v, None))
            .or_else(|| files.iter().find_map(|(root, s)| f(&s.search).map(|v| (v, Some(root.clone())))))
    }
    let d = SearchConfig::default();
    let v = |f: &dyn Fn(&SearchSettings) -> Option<u64>| pick(client, files, f).map(|(v, _)| v);
    let kib = clamp.u64(v(&|s| s.cache_memory_kib.map(|n| n as u64)), SEARCH_CACHE_MEMORY_KIB);
    let mib = clamp.u64(v(&|s| s.cache_disk_mib), SEARCH_CACHE_DISK_MIB);
    SearchConfig {
        deadline_ms: clamp.u64(v(&|s| s.deadline_ms), SEARCH_DEADLINE_MS),
        full_text: pick(client, files, |s| s.full_text).map_or(d.full_text, |(v, _)| v),
        cache_entries: clamp.usize(pick(client, files, |s| s.cache_entries).map(|(v, _)| v), SEARCH_CACHE_ENTRIES),
        cache_memory_bytes: usize::try_from(kib << 10).unwrap_or(d.cache_memory_bytes),
        cache_disk_bytes: mib << 20,
        cache_dir: pick(client, files, |s| s.cache_dir.clone().filter(|d| !d.is_empty()))
            .map(|(dir, root)| root.unwrap_or_else(|| base.to_path_buf()).join(dir)),
        warm: pick(client, files, |s| s.warm).map_or(d.warm, |(v, _)| v),
        include: pick(client, files, |s| s.include.clone()).map_or(d.include, |(v, _)| v),
        exclude: pick(client, files, |s| s.exclude.clone()).map_or(d.exclude, |(v, _)| v),
    }
}

#[cfg(test)]
mod tests {
    /// docs/settings.md states every numeric setting's default and range as the code has them.
    #[test]
    fn the_documented_ranges_are_the_codes() {
        let doc = include_str!("../../docs/settings.md");
        let numbers = |cell: &str| -> Vec<u64> {
            cell.split(|c: char| !c.is_ascii_digit()).filter(|w| !w.is_empty()).map(|w| w.parse().unwrap()).collect()
        };
        let limits = [
            COMPLETION_LIMIT,
            SYMBOL_LIMIT,
            HOVER_MAX_LENGTH,
            MONITOR_MEMORY_LIMIT_MB,
            MONITOR_INTERVAL_MS,
            METHOD_BUDGET_MS,
            SEARCH_DEADLINE_MS,
            SEARCH_CACHE_ENTRIES,
            SEARCH_CACHE_MEMORY_KIB,
            SEARCH_CACHE_DISK_MIB,
        ];
        for limit in &limits {
            // `monitor.budgets_ms` is documented per method, with a default per method.
            let key = if limit.key == "monitor.budgets_ms" { "monitor.budgets_ms.<method>" } else { limit.key };
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{key}` |")))
                .unwrap_or_else(|| panic!("docs/settings.md has no row for {key}"));
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            // | key | type | default | range | outside the range |
            let (default, range) = (cells[3], cells[4]);
            let range = numbers(range);
            assert_eq!((range.first(), range.get(1)), (Some(&limit.min), Some(&limit.max)), "{key}: {row}");
            if key != "monitor.budgets_ms.<method>" {
                assert_eq!(numbers(default).first(), Some(&limit.default), "{key}: {row}");
            }
        }
    }

    use expect_test::expect;

    use super::*;

    fn settings(text: &str) -> Settings {
        parse_settings(Path::new(CONFIG_FILE), text)
    }

    #[test]
    fn navigation_flags_are_read_key_by_key_and_the_client_wins_per_key() {
        check_toml(
            "[navigation]\nsemantic_tokens_in_code = true\ninlay_hints = \"yes\"\ninlay_hint = true\n",
            expect![[r#"
                navigation = NavigationSettings { semantic_tokens: None, semantic_tokens_in_code: Some(true), inlay_hints: None }
                problem: /ws/.kg-ls.toml:3: column 15: navigation.inlay_hints: expected true or false, got "yes"; it is ignored
                problem: /ws/.kg-ls.toml:4: column 1: unknown key `navigation.inlay_hint` (did you mean `inlay_hints`?); it is ignored
            "#]],
        );
        let roots = [PathBuf::from("/ws")];
        let file =
            vec![(PathBuf::from("/ws"), settings("[navigation]\nsemantic_tokens = false\ninlay_hints = true\n"))];
        let yes = |_: &Path| true;
        assert_eq!(resolve(&roots, None, &[], &yes).0.navigation, NavigationConfig::default());
        let (client, _) = settings_from_json(&serde_json::json!({"navigation": {"inlay_hints": false}}));
        let n = resolve(&roots, Some(&client), &file, &yes).0.navigation;
        assert_eq!(n, NavigationConfig { semantic_tokens: false, semantic_tokens_in_code: false, inlay_hints: false });
    }

    #[test]
    fn client_options_override_the_file_and_the_file_overrides_conventions() {
        let roots = [PathBuf::from("/ws")];
        let file = vec![(
            PathBuf::from("/ws"),
            settings("[kg]\npaths = [\"kg\", \"glossary.json\"]\n[completion]\nlimit = 7\n"),
        )];
        let yes = |_: &Path| true;
        let (c, p) = resolve(&roots, None, &file, &yes);
        assert!(p.is_empty());
        assert_eq!(c.sources, [KgSource { path: "/ws/kg".into() }, KgSource { path: "/ws/glossary.json".into() }]);
        assert_eq!((c.completion_limit, c.symbol_limit), (7, DEFAULT_SYMBOL_LIMIT));
        assert_eq!(c.hover_max_length, DEFAULT_HOVER_MAX_LENGTH);
        let hover = vec![(PathBuf::from("/ws"), settings("[hover]\nmax_length = 300\n"))];
        assert_eq!(resolve(&roots, None, &hover, &yes).0.hover_max_length, 300);

        let client =
            Settings { kg: KgSettings { paths: Some(vec!["/abs/kg".into(), "rel".into()]) }, ..Default::default() };
        let (c, _) = resolve(&roots, Some(&client), &file, &yes);
        assert_eq!(c.sources, [KgSource { path: "/abs/kg".into() }, KgSource { path: "/ws/rel".into() }]);
        assert_eq!(c.completion_limit, 7);

        let (c, _) = resolve(&roots, None, &[], &|p: &Path| p.ends_with(".terraphim/kg"));
        assert_eq!(c.sources, [KgSource { path: "/ws/.terraphim/kg".into() }]);

        let (c, p) = resolve(&roots, None, &[], &|_: &Path| false);
        assert!(c.sources.is_empty());
        assert!(p[0].message.starts_with("no knowledge graph configured"));
    }

    #[test]
    fn source_paths_are_cleaned_and_named_once() {
        let roots = [PathBuf::from("/ws/proj")];
        let paths = ["./kg/", "kg", "../shared//glossary.json", "/abs/./x/../kg", "~/notes", "../../../..", "a/.."];
        let client = Settings {
            kg: KgSettings { paths: Some(paths.iter().map(|p| p.to_string()).collect()) },
            ..Default::default()
        };
        let (c, _) = resolve(&roots, Some(&client), &[], &|_: &Path| true);
        // Without a home folder `~` is a name like any other.
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/ws/proj/~"), PathBuf::from).join("notes");
        let expected = [
            Path::new("/ws/proj/kg"),
            Path::new("/ws/shared/glossary.json"),
            Path::new("/abs/kg"),
            &home,
            Path::new("/"),
            Path::new("/ws/proj"),
        ];
        assert_eq!(c.sources.iter().map(|s| s.path.as_path()).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn search_settings_resolve_with_defaults() {
        let roots = [PathBuf::from("/ws")];
        let file = vec![(
            PathBuf::from("/ws"),
            settings("[search]\ndeadline_ms = 50\nfull_text = false\ncache_dir = \".cache\"\ncache_disk_mib = 0\n"),
        )];
        let (c, _) = resolve(&roots, None, &file, &|_: &Path| true);
        assert_eq!(
            c.search,
            SearchConfig {
                deadline_ms: 50,
                full_text: false,
                cache_dir: Some("/ws/.cache".into()),
                cache_disk_bytes: 0,
                ..SearchConfig::default()
            }
        );
        let client =
            Settings { search: SearchSettings { deadline_ms: Some(9), ..Default::default() }, ..Default::default() };
        let (c, _) = resolve(&roots, Some(&client), &file, &|_: &Path| true);
        assert_eq!((c.search.deadline_ms, c.search.full_text), (9, false));
    }

    /// The settings a text gives (only what is set), then its problems.
    fn check_toml(text: &str, expect: expect_test::Expect) {
        let (s, problems) = read_settings(Path::new("/ws/.kg-ls.toml"), text);
        expect.assert_eq(&shown(&s, &problems));
    }

    fn check_json(json: &str, expect: expect_test::Expect) {
        let (s, problems) = settings_from_json(&serde_json::from_str(json).unwrap());
        expect.assert_eq(&shown(&s, &problems));
    }

    fn shown(s: &Settings, problems: &[Problem]) -> String {
        let mut out = String::new();
        let d = Settings::default();
        let mut field = |name: &str, set: bool, value: String| {
            if set {
                out += &format!("{name} = {value}\n");
            }
        };
        field("kg.paths", s.kg != d.kg, format!("{:?}", s.kg.paths));
        field("completion.limit", s.completion != d.completion, format!("{:?}", s.completion.limit));
        field("symbols.limit", s.symbols != d.symbols, format!("{:?}", s.symbols.limit));
        field("hover", s.hover != d.hover, format!("{:?}", s.hover));
        field("monitor", s.monitor != d.monitor, format!("{:?}", s.monitor));
        field("search", s.search != d.search, format!("{:?}", s.search));
        field("navigation", s.navigation != d.navigation, format!("{:?}", s.navigation));
        for (check, level) in &s.checks {
            out += &format!("checks.{} = {}\n", check.id(), level.name());
        }
        for p in problems {
            out += &format!("problem: {p}\n");
        }
        out
    }

    #[test]
    fn check_levels_are_read_one_by_one() {
        check_toml(
            "[checks]\navoided-term = \"error\"\nnear-miss = \"hint\"\navoided-terms = \"off\"\nformat-slip = \"loud\"\nbroken-file = 3\n",
            expect![[r#"
                checks.avoided-term = error
                checks.near-miss = hint
                problem: /ws/.kg-ls.toml:4: column 1: unknown key `checks.avoided-terms` (did you mean `avoided-term`?); it is ignored
                problem: /ws/.kg-ls.toml:5: column 15: checks.format-slip: expected one of off, hint, info, warning, error, got "loud"; the default warning is used
                problem: /ws/.kg-ls.toml:6: column 15: checks.broken-file: expected one of off, hint, info, warning, error, got 3; the default error is used
            "#]],
        );
        check_json(
            r#"{"kg-ls": {"checks": {"avoided-term": "off", "unknown": "off", "near-miss": "Warning", "format-slip": null}}}"#,
            expect![[r#"
                checks.avoided-term = off
                problem: client settings: checks.near-miss: expected one of off, hint, info, warning, error, got "Warning"; the default off is used
            "#]],
        );
    }

    #[test]
    fn check_levels_resolve_client_over_file_per_check() {
        let roots = [PathBuf::from("/ws")];
        let file = vec![(
            PathBuf::from("/ws"),
            settings("[checks]\navoided-term = \"error\"\nnon-canonical-term = \"hint\"\n"),
        )];
        let (client, _) = settings_from_json(&serde_json::json!({"checks": {"avoided-term": "off"}}));
        let (c, _) = resolve(&roots, Some(&client), &file, &|_: &Path| true);
        let levels: Vec<String> =
            crate::check::CheckId::ALL.iter().map(|&k| format!("{} = {}", k.id(), c.checks.get(k).name())).collect();
        expect![[r#"
            [
                "avoided-term = off",
                "non-canonical-term = hint",
                "near-miss = off",
                "unknown-related = warning",
                "term-claimed-twice = warning",
                "duplicate-synonym = warning",
                "heading-adds-term = warning",
                "format-slip = warning",
                "broken-file = error",
            ]
        "#]]
        .assert_debug_eq(&levels);
    }

    #[test]
    fn full_text_globs_are_checked_one_by_one() {
        check_toml(
            "[search]\ninclude = [\"docs/**/*.md\", \"a[\", \"\", 3]\nexclude = \"**/drafts/**\"\n",
            expect![[r#"
                search = SearchSettings { deadline_ms: None, full_text: None, cache_entries: None, cache_memory_kib: None, cache_disk_mib: None, cache_dir: None, warm: None, include: Some(["docs/**/*.md"]), exclude: Some(["**/drafts/**"]) }
                problem: /ws/.kg-ls.toml:2: column 28: search.include[1]: "a[" is not a glob (unclosed character class; missing ']'); it is ignored
                problem: /ws/.kg-ls.toml:2: column 34: search.include[2]: is empty; it is ignored
                problem: /ws/.kg-ls.toml:2: column 38: search.include[3]: expected a string, got 3; it is ignored
            "#]],
        );
    }

    #[test]
    fn a_bad_key_or_value_costs_only_itself() {
        check_toml(
            "[kg]\npaths = [\"kg\", \"glossary.json\"]\n\n[completions]\nlimit = 10\n\n[symbols]\nlimit = \"ten\"\n",
            expect![[r#"
                kg.paths = Some(["kg", "glossary.json"])
                problem: /ws/.kg-ls.toml:4: column 2: unknown section `[completions]` (did you mean `completion`?); it is ignored
                problem: /ws/.kg-ls.toml:8: column 9: symbols.limit: expected a whole number from 1 to 5000, got "ten"; the default 128 is used
            "#]],
        );
        check_toml(
            "[kg]\npath = 3\npaths = \"notes\"\n[hover]\nmax_lenght = 100\n[search]\nwarm = 1\nfull_text = false\n",
            expect![[r#"
                kg.paths = Some(["notes"])
                search = SearchSettings { deadline_ms: None, full_text: Some(false), cache_entries: None, cache_memory_kib: None, cache_disk_mib: None, cache_dir: None, warm: None, include: None, exclude: None }
                problem: /ws/.kg-ls.toml:2: column 1: unknown key `kg.path` (did you mean `paths`?); it is ignored
                problem: /ws/.kg-ls.toml:5: column 1: unknown key `hover.max_lenght` (did you mean `max_length`?); it is ignored
                problem: /ws/.kg-ls.toml:7: column 8: search.warm: expected true or false, got 1; it is ignored
            "#]],
        );
        // A syntax error loses only what it breaks.
        check_toml(
            "[completion]\nlimit = 7\n[hover\nmax_length = 300\n[symbols]\nlimit = 9\n",
            expect![[r#"
                completion.limit = Some(7)
                symbols.limit = Some(9)
                problem: /ws/.kg-ls.toml:3: column 7: invalid TOML: unclosed table, expected `]`; the rest of the file is used
            "#]],
        );
    }

    #[test]
    fn values_outside_their_range_are_clamped() {
        check_toml(
            "[search]\ncache_entries = 9007199254740992\ncache_memory_kib = -1\ndeadline_ms = 99999999999999999999999999999999999999999\n[completion]\nlimit = 0\n[monitor]\ninterval_ms = 1\nbudgets_ms = { \"textDocument/hover\" = 700000, \"textDocument/completion\" = 10 }\n",
            expect![[r#"
                completion.limit = Some(1)
                monitor = MonitorSettings { memory_limit_mb: None, interval_ms: Some(10), budgets_ms: {"textDocument/completion": 10, "textDocument/hover": 600000} }
                search = SearchSettings { deadline_ms: None, full_text: None, cache_entries: Some(16384), cache_memory_kib: Some(0), cache_disk_mib: None, cache_dir: None, warm: None, include: None, exclude: None }
                problem: /ws/.kg-ls.toml:2: column 17: search.cache_entries: 9007199254740992 is more than the most allowed, 16384; 16384 is used
                problem: /ws/.kg-ls.toml:3: column 20: search.cache_memory_kib: -1 is less than the least allowed, 0; 0 is used
                problem: /ws/.kg-ls.toml:4: column 15: search.deadline_ms: expected a whole number from 1 to 10000, got a number too large; the default 200 is used
                problem: /ws/.kg-ls.toml:6: column 9: completion.limit: 0 is less than the least allowed, 1; 1 is used
                problem: /ws/.kg-ls.toml:8: column 15: monitor.interval_ms: 1 is less than the least allowed, 10; 10 is used
                problem: /ws/.kg-ls.toml:9: column 39: monitor.budgets_ms.textDocument/hover: 700000 is more than the most allowed, 600000; 600000 is used
            "#]],
        );
    }

    #[test]
    fn client_settings_ignore_foreign_keys_and_treat_empty_as_unset() {
        // What VS Code sends with only `kg-ls.path` set.
        check_json(
            r#"{"kg-ls": {"path": "/usr/bin/kg-ls", "kg": {"paths": []}, "completion": {"limit": null}, "languages": ["markdown"], "trace": {"server": "off"}}}"#,
            expect![""],
        );
        check_json(
            r#"{"kg": {"paths": ["kg", "", 3]}, "completion": {"limit": "ten", "extra": 1}, "search": {"cache_entries": 9223372036854775808, "cache_dir": ""}, "hover": 5}"#,
            expect![[r#"
                kg.paths = Some(["kg"])
                search = SearchSettings { deadline_ms: None, full_text: None, cache_entries: Some(16384), cache_memory_kib: None, cache_disk_mib: None, cache_dir: None, warm: None, include: None, exclude: None }
                problem: client settings: completion.limit: expected a whole number from 1 to 1000, got "ten"; the default 50 is used
                problem: client settings: hover: expected a table (`[hover]`), got 5; the section is ignored
                problem: client settings: kg.paths[1]: is empty; it is ignored
                problem: client settings: kg.paths[2]: expected a string, got 3; it is ignored
                problem: client settings: search.cache_entries: 9223372036854775808 is more than the most allowed, 16384; 16384 is used
            "#]],
        );
        check_json("null", expect![""]);
        check_json(
            "[1]",
            expect![[r#"
            problem: client settings: expected an object of settings, got a list
        "#]],
        );
    }

    #[test]
    fn resolve_clamps_whatever_built_the_settings() {
        let roots = [PathBuf::from("/ws")];
        let client = Settings {
            kg: KgSettings { paths: Some(Vec::new()) },
            search: SearchSettings {
                cache_entries: Some(1 << 63),
                cache_disk_mib: Some(u64::MAX),
                ..Default::default()
            },
            monitor: MonitorSettings { memory_limit_mb: Some(u64::MAX), ..Default::default() },
            ..Default::default()
        };
        let file = vec![(PathBuf::from("/ws"), settings("[kg]\npaths = [\"kg\"]\n[completions]\n"))];
        let (c, p) = resolve(&roots, Some(&client), &file, &|_: &Path| true);
        // An empty list from the client does not replace the file's paths.
        assert_eq!(c.sources, [KgSource { path: "/ws/kg".into() }]);
        assert_eq!((c.search.cache_entries, c.search.cache_disk_bytes), (16_384, 16_384 << 20));
        assert_eq!(c.monitor.memory_limit_mb, Some(1 << 20));
        let p: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        expect![[r#"
            [
                ".kg-ls.toml:3: column 2: unknown section `[completions]` (did you mean `completion`?); it is ignored",
                "/ws: monitor.memory_limit_mb: 18446744073709551615 is outside 1–1048576; 1048576 is used",
                "/ws: search.cache_disk_mib: 18446744073709551615 is outside 0–16384; 16384 is used",
                "/ws: search.cache_entries: 9223372036854775808 is outside 1–16384; 16384 is used",
            ]
        "#]]
        .assert_debug_eq(&p);
        // A file whose paths are unusable says so, not "add `[kg] paths`".
        let file = vec![(PathBuf::from("/ws"), settings("[kg]\npaths = 3\n"))];
        let (_, p) = resolve(&roots, None, &file, &|_: &Path| false);
        expect![[r#"
            [
                ".kg-ls.toml:2: column 9: kg.paths: expected a list of paths, e.g. [\"kg\"], got 3; it is ignored",
                "/ws: no knowledge graph configured: /ws/.kg-ls.toml sets no usable `[kg] paths` (see the problems reported for it), and there is no kg/ folder",
            ]
        "#]]
        .assert_debug_eq(&p.iter().map(|p| p.to_string()).collect::<Vec<_>>());
    }
}
