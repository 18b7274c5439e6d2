//! Which knowledge-graph paths, limits and hover length a workspace uses.
//!
//! Precedence: the client's initialization options, then `.kg-ls.toml` at a workspace root,
//! then the conventional `kg/` and `.terraphim/kg/` folders. Reading the file is the caller's
//! job (see [`super::load_config_file`]); resolution itself is pure.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::kg::{KgSource, Problem};

/// The name of the per-workspace configuration file.
pub const CONFIG_FILE: &str = ".kg-ls.toml";

/// Default number of completion items.
pub const DEFAULT_COMPLETION_LIMIT: usize = 50;
/// Default number of workspace symbols.
pub const DEFAULT_SYMBOL_LIMIT: usize = 128;
/// Default length after which a hover's definition is cut.
pub const DEFAULT_HOVER_MAX_LENGTH: usize = crate::render::DEFAULT_MAX_LENGTH;

/// Settings as a user writes them, in `.kg-ls.toml` or as initialization options.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub kg: KgSettings,
    pub completion: LimitSettings,
    pub symbols: LimitSettings,
    pub monitor: MonitorSettings,
    pub hover: HoverSettings,
    pub search: SearchSettings,
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
    /// A definition is cut at the first block boundary after this many bytes of output.
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
        }
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
}

/// Parses `.kg-ls.toml` text.
pub fn parse_settings(path: &Path, text: &str) -> Result<Settings, Problem> {
    toml::from_str(text).map_err(|e| Problem {
        path: path.to_path_buf(),
        line: None,
        message: format!("invalid configuration: {}", e.message()),
    })
}

/// Resolves the configuration. `client` are the initialization options; `files` holds each
/// root's parsed `.kg-ls.toml` where one exists; `exists` tells whether a path exists.
pub fn resolve(
    roots: &[PathBuf],
    client: Option<&Settings>,
    files: &[(PathBuf, Settings)],
    exists: &dyn Fn(&Path) -> bool,
) -> (Config, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut sources = Vec::new();
    let base = roots.first().cloned().unwrap_or_default();
    let client_paths = client.and_then(|s| s.kg.paths.as_ref());
    if let Some(paths) = client_paths {
        sources.extend(paths.iter().map(|p| KgSource { path: source_path(&base, p) }));
    } else if files.iter().any(|(_, s)| s.kg.paths.is_some()) {
        for (root, s) in files {
            for p in s.kg.paths.iter().flatten() {
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
            problems.push(Problem {
                path: base.clone(),
                line: None,
                message: format!(
                    "no knowledge graph configured: add `[kg] paths = [...]` to {CONFIG_FILE}, pass `kg.paths` as initialization options, or create a kg/ folder"
                ),
            });
        }
    }
    // `kg` and `./kg/` are one source: loading it twice would only cost time.
    let mut seen = std::collections::HashSet::new();
    sources.retain(|s| seen.insert(s.path.clone()));
    let pick = |f: &dyn Fn(&Settings) -> Option<usize>, default: usize| {
        client.and_then(f).or_else(|| files.iter().find_map(|(_, s)| f(s))).unwrap_or(default).max(1)
    };
    let config = Config {
        roots: roots.to_vec(),
        sources,
        completion_limit: pick(&|s| s.completion.limit, DEFAULT_COMPLETION_LIMIT),
        symbol_limit: pick(&|s| s.symbols.limit, DEFAULT_SYMBOL_LIMIT),
        monitor: client
            .map(|s| &s.monitor)
            .filter(|m| **m != MonitorSettings::default())
            .or_else(|| files.iter().map(|(_, s)| &s.monitor).find(|m| **m != MonitorSettings::default()))
            .cloned()
            .unwrap_or_default(),
        hover_max_length: pick(&|s| s.hover.max_length, DEFAULT_HOVER_MAX_LENGTH),
        search: resolve_search(&base, client, files),
    };
    (config, problems)
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

/// `[search]` from the client's options, else the first file that sets each value.
fn resolve_search(base: &Path, client: Option<&Settings>, files: &[(PathBuf, Settings)]) -> SearchConfig {
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
    SearchConfig {
        deadline_ms: v(&|s| s.deadline_ms).unwrap_or(d.deadline_ms).max(1),
        full_text: pick(client, files, |s| s.full_text).map_or(d.full_text, |(v, _)| v),
        cache_entries: v(&|s| s.cache_entries.map(|n| n as u64)).map_or(d.cache_entries, |n| n as usize).max(1),
        cache_memory_bytes: v(&|s| s.cache_memory_kib.map(|n| n as u64))
            .map_or(d.cache_memory_bytes, |k| k as usize * 1024),
        cache_disk_bytes: v(&|s| s.cache_disk_mib).map_or(d.cache_disk_bytes, |m| m << 20),
        cache_dir: pick(client, files, |s| s.cache_dir.clone())
            .map(|(dir, root)| root.unwrap_or_else(|| base.to_path_buf()).join(dir)),
        warm: pick(client, files, |s| s.warm).map_or(d.warm, |(v, _)| v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Settings {
        parse_settings(Path::new(CONFIG_FILE), text).unwrap()
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

    #[test]
    fn bad_configuration_is_a_problem() {
        let e = parse_settings(Path::new(CONFIG_FILE), "[kg]\npath = 3\n").unwrap_err();
        assert!(e.message.contains("unknown field `path`"), "{}", e.message);
    }
}
