//! The `kg-ls` binary: command line, logging to stderr, the tokio runtime.
//! Must not hold protocol logic: that is [`kg_ls::lsp`].
//!
//! `kg-ls` (or `kg-ls --stdio`) serves LSP on stdin/stdout; `kg-ls query …` answers from the
//! shell, `kg-ls check …` runs the terminology checks and `kg-ls graph …` prints a concept's
//! neighbourhood. Logs never go to stdout, which carries the protocol.

use std::process::ExitCode;

const HELP: &str = "\
kg-ls: a knowledge-graph language server

usage:
  kg-ls [--stdio]        serve the Language Server Protocol on stdin/stdout
  kg-ls query [...]      print completions, hovers and symbols for a workspace (kg-ls query --help)
  kg-ls check [...]      run the terminology checks, for CI and pre-commit hooks (kg-ls check --help)
  kg-ls graph [...]      print a concept's neighbourhood as DOT or JSON (kg-ls graph --help)
  kg-ls --version        print the version
  kg-ls --help           print this help

Logging goes to stderr (warnings and errors while serving LSP); set RUST_LOG
(e.g. RUST_LOG=kg_ls=debug) to change its level.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("--stdio") => {
            kg_ls::perf::process::tune_allocator();
            // Editors show every stderr line as an error (VS Code's output channel, Neovim's
            // lsp.log): only warnings and errors go there; progress and summaries reach the
            // editor as window/logMessage.
            init_logging("kg_ls=warn");
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("kg-ls: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let code = runtime.block_on(kg_ls::lsp::run_stdio());
            // Do not wait for blocking tasks (a load in progress) once the client is gone.
            runtime.shutdown_background();
            ExitCode::from(code as u8)
        }
        Some("--version" | "-V") => {
            println!("kg-ls {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("--help" | "-h" | "help") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some("query") => {
            kg_ls::perf::process::tune_allocator();
            init_logging("kg_ls=info");
            let outcome = kg_ls::query::run(&args[1..], &mut |w| eprintln!("{w}"));
            print!("{}", outcome.stdout);
            ExitCode::from(outcome.code)
        }
        Some("check") => {
            kg_ls::perf::process::tune_allocator();
            init_logging("kg_ls=warn");
            let outcome = kg_ls::lint::run(&args[1..], &mut |w| eprintln!("{w}"));
            print!("{}", outcome.stdout);
            ExitCode::from(outcome.code)
        }
        Some("graph") => {
            init_logging("kg_ls=warn");
            let outcome = kg_ls::graph_cli::run(&args[1..], &mut |w| eprintln!("{w}"));
            print!("{}", outcome.stdout);
            ExitCode::from(outcome.code)
        }
        Some(other) => {
            eprintln!("kg-ls: unknown argument {other:?}\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // A closed stderr (an editor that dropped the pipe) must not panic the logger.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_ansi(false)
        .log_internal_errors(false)
        .try_init();
}
