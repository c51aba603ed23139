//! The `workflow-engine` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    workflow_engine::cli::main()
}
