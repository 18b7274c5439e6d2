//! The performance monitor through the real server: `kg-ls.stats` and alerts.

mod common;

use common::{Client, Workspace};
use serde_json::{Value, json};

fn workspace() -> Workspace {
    Workspace::new(&[
        (".kg-ls.toml", b"[kg]\npaths = [\"kg\"]\n"),
        ("kg/tokio.md", b"# tokio\n\nA runtime.\n"),
        ("kg/toml.md", b"# toml\n\nA format.\n"),
    ])
}

fn stats(c: &mut Client) -> Value {
    c.request("workspace/executeCommand", json!({"command": "kg-ls.stats", "arguments": []}))
}

#[test]
fn stats_report_methods_process_figures_and_the_workspace() {
    let ws = workspace();
    let mut c = Client::start(&ws.root(), json!({"monitor": {"interval_ms": 20}}));
    let uri = c.open(&ws.path("a.md"), "to");
    for _ in 0..30 {
        c.request("textDocument/completion", Client::position_params(&uri, 0, 2));
    }
    c.request("textDocument/hover", Client::position_params(&uri, 0, 0));
    let tokio = c.open(&ws.path("b.md"), "tokio");
    let hover = c.request("textDocument/hover", Client::position_params(&tokio, 0, 1));
    assert!(hover["contents"]["value"].as_str().unwrap().contains("A runtime."), "{hover}");
    // Process figures arrive with the first sample after the load.
    let mut s = stats(&mut c);
    for _ in 0..200 {
        if s["process"]["cpu_percent"].is_number() && s["background"]["loading"] == false {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        s = stats(&mut c);
    }
    let completion =
        s["methods"].as_array().unwrap().iter().find(|m| m["method"] == "textDocument/completion").unwrap();
    assert_eq!(completion["count"], 30, "{s:#}");
    assert_eq!(completion["errors"], 0);
    assert!(completion["p50_us"].as_u64().unwrap() > 0);
    assert!(completion["p99_us"].as_u64().unwrap() >= completion["p50_us"].as_u64().unwrap());
    assert!(s["process"]["rss_bytes"].as_u64().unwrap() > 1 << 20, "{s:#}");
    assert!(s["process"]["cpu_percent"].is_number(), "{s:#}");
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    assert!(s["process"]["heap_in_use_bytes"].as_u64().unwrap() > 100_000, "{s:#}");
    assert_eq!((&s["background"]["loading"], &s["background"]["rebuilding"]), (&json!(false), &json!(false)), "{s:#}");
    // Every cache level reports its figures: the hover above missed the render cache once.
    let caches = &s["caches"];
    assert_eq!(caches["render"]["hovers"]["misses"], 1, "{s:#}");
    assert!(caches["render"]["blocks"]["hitRate"].is_number(), "{s:#}");
    for level in ["l1", "l2", "l3"] {
        let l = &caches["search"]["cache"][level];
        for figure in ["hits", "misses", "hitRate", "bytes", "entries", "evictions"] {
            assert!(l[figure].is_number(), "{level}.{figure}: {s:#}");
        }
        let (hits, misses) = (l["hits"].as_f64().unwrap(), l["misses"].as_f64().unwrap());
        let rate = if hits + misses == 0.0 { 0.0 } else { hits / (hits + misses) };
        assert!((l["hitRate"].as_f64().unwrap() - rate).abs() < 1e-9, "{level}: {s:#}");
    }
    assert!(caches["search"]["cacheHitRate"].is_number(), "{s:#}");
    assert_eq!(s["workspace"]["concepts"], 2);
    assert!(s["gauges"].as_array().unwrap().iter().any(|g| g[0] == "index.completion_fst_bytes"));
    assert!(s["requests"].as_u64().unwrap() >= 33);
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_method_over_its_budget_and_memory_over_its_limit_raise_warnings() {
    let ws = workspace();
    // A zero budget makes every completion too slow; a 1 MB limit makes any process too big.
    let options =
        json!({"monitor": {"interval_ms": 20, "memory_limit_mb": 1, "budgets_ms": {"textDocument/completion": 0}}});
    let mut c = Client::start(&ws.root(), options);
    let uri = c.open(&ws.path("a.md"), "to");
    for _ in 0..25 {
        c.request("textDocument/completion", Client::position_params(&uri, 0, 2));
    }
    let slow =
        c.wait_for("window/logMessage", |p| p["message"].as_str().unwrap().contains("textDocument/completion is slow"));
    assert_eq!(slow["type"], 2, "a warning: {slow}");
    assert!(slow["message"].as_str().unwrap().contains("over its 0 ms budget"), "{slow}");
    c.wait_for("window/logMessage", |p| p["message"].as_str().unwrap().contains("memory is high"));
    // Alerts are rate-limited: one per kind per minute.
    std::thread::sleep(std::time::Duration::from_millis(200));
    c.request("workspace/symbol", json!({"query": "t"}));
    let count =
        c.received.iter().filter(|m| m["params"]["message"].as_str().is_some_and(|s| s.contains("is slow"))).count();
    assert_eq!(count, 1);
    let s = stats(&mut c);
    assert_eq!(s["alerts"].as_array().unwrap().len(), 2, "{s:#}");
}
