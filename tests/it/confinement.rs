//! Confinement (Landlock): what a step's process can reach (its project, a private TMPDIR,
//! the system read-only) and what it cannot (the data directory, the rest of /tmp, the
//! engine's process), for script steps, `ctx.exec`, TS function code and agent CLIs.

use std::path::Path;

use crate::agents::{fake, AgentBox};
use crate::util::*;

const SECRET: &str = "planted-secret-4f1c9a";

/// A data directory holding a secret file (as the JWT secret is) and a JSON one (importable).
fn plant(sb: &Sandbox) {
    std::fs::create_dir_all(sb.data_dir()).unwrap();
    std::fs::write(sb.data_dir().join("planted"), SECRET).unwrap();
    std::fs::write(sb.data_dir().join("planted.json"), format!("{{\"s\":\"{SECRET}\"}}")).unwrap();
}

/// One script step running `command`.
fn script_yaml(sb: &Sandbox, command: &str) -> String {
    let file = sb.write(
        "try.yaml",
        &format!(
            "name: Try\nphases: [p]\nsteps:\n  - id: try\n    phase: p\n    type: script\n    command: {}\n",
            serde_json::to_string(command).unwrap()
        ),
    );
    file.to_str().unwrap().to_string()
}

/// What a step tries: the data directory (a file, its listing, the database), /tmp, the
/// engine (a signal), then what it may do: its project and its TMPDIR.
fn attempts(sb: &Sandbox, escape: &Path) -> String {
    let data = sb.data_dir();
    let data = data.display();
    format!(
        "cat {data}/planted; ls {data}; head -c 64 {data}/workflow-engine.db | od -c | head -2; \
         ls /tmp >/dev/null && echo listed-tmp; touch {}; kill -0 $PPID && echo signalled-engine; \
         echo mine > mine.txt; echo tmp-ok > \"$TMPDIR/t\" && cat \"$TMPDIR/t\"; echo \"tmpdir=$TMPDIR\"",
        escape.display()
    )
}

#[test]
fn a_script_step_cannot_reach_the_data_directory_other_tmp_files_or_the_engine() {
    let sb = Sandbox::new();
    plant(&sb);
    let escape = std::env::temp_dir().join(format!("escaped-{}", std::process::id()));
    let file = script_yaml(&sb, &attempts(&sb, &escape));
    let out = sb.run(&["run", &file, "-v"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("SQLite"), "the database was read: {text}");
    // The planted file, the listing, the database file (none on PostgreSQL), /tmp, the escape.
    let refusals = if sb.on_pg() { 4 } else { 5 };
    assert_eq!(text.matches("Permission denied").count(), refusals, "{text}");
    assert!(
        !text.contains("listed-tmp") && !text.contains("signalled-engine"),
        "{text}"
    );
    assert!(!escape.exists(), "the step wrote outside its project");
    assert!(sb.project().join("mine.txt").is_file(), "the project is writable");
    assert!(text.contains("tmp-ok"), "{text}");
    let tmpdir = text
        .lines()
        .find_map(|l| l.split("tmpdir=").nth(1))
        .expect("TMPDIR printed");
    assert!(
        tmpdir.starts_with(std::env::temp_dir().to_str().unwrap()) && tmpdir.len() > 10,
        "{tmpdir}"
    );
    assert!(
        !Path::new(tmpdir.trim()).exists(),
        "the step's TMPDIR is removed after it"
    );
}

/// The same step without confinement reads everything: the test above can fail.
#[test]
fn with_confinement_off_the_step_reads_the_secret_and_the_engine_warns() {
    let sb = Sandbox::new();
    plant(&sb);
    let escape = sb.project().join("escaped");
    let file = script_yaml(&sb, &attempts(&sb, &escape));
    let out = sb.run(&["--confinement", "off", "run", &file, "-v"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains(SECRET), "{text}");
    assert!(stderr(&out).contains("confinement is off"), "{}", stderr(&out));
}

#[test]
fn ts_imports_and_ctx_exec_cannot_read_the_data_directory() {
    let sb = Sandbox::new();
    plant(&sb);
    let data = sb.data_dir();
    let ts = format!(
        r#"import {{ defineWorkflow }} from "@repo/workflow-engine";
export default defineWorkflow({{
  name: "T",
  phases: ["p"],
  async execute(ctx) {{
    const r = await ctx.step("f", {{ phase: "p", type: "function", fn: async () => {{
      try {{ const m = await import("{data}/planted.json", {{ with: {{ type: "json" }} }}); return {{ got: m.default }}; }}
      catch (e) {{ return {{ err: String(e) }}; }}
    }} }});
    console.log("import: " + JSON.stringify(r.data));
    const x = await ctx.exec("cat {data}/planted");
    console.log("exec: " + JSON.stringify(x));
  }},
}});
"#,
        data = data.display()
    );
    let file = sb.write("t.ts", &ts);
    let out = sb.run(&["run", file.to_str().unwrap(), "-v"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(
        text.contains("import: {\"err\":") && text.contains("Permission denied (os error 13)"),
        "{text}"
    );
    assert!(
        text.contains("exec: ") && text.contains("planted: Permission denied"),
        "{text}"
    );
}

#[tokio::test]
async fn an_agent_cli_runs_confined_and_cannot_read_the_data_directory() {
    let abox = AgentBox::new();
    plant(&abox.sb);
    // The "CLI" tries the secret on stderr, then is the stand-in claude.
    let wrapper = abox.sb.write(
        "claude-wrapper",
        &format!(
            "#!/bin/sh\ncat '{}/planted' >&2 || echo wrapper-was-refused >&2\nexec '{}' \"$@\"\n",
            abox.sb.data_dir().display(),
            fake("claude").display()
        ),
    );
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut cmd = claude_run(&abox);
    cmd.env("WORKFLOW_ENGINE_CLAUDE_COMMAND", &wrapper);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let events = std::fs::read_to_string(abox.sb.run_dir(&run_id(&out)).join("logs/ask/events.jsonl")).unwrap();
    assert!(events.contains("wrapper-was-refused"), "{events}");
    assert!(!events.contains(SECRET), "{events}");
}

#[test]
fn a_data_directory_inside_the_project_is_refused_when_required_and_warned_about_otherwise() {
    let sb = Sandbox::new();
    let inside = sb.project().join(".data");
    let file = script_yaml(&sb, "echo ran");
    let run = |mode: &str| {
        let mut cmd = sb.cmd(&["--confinement", mode, "run", &file, "-v"]);
        cmd.env("WORKFLOW_ENGINE_DATA_DIR", &inside);
        cmd.output().unwrap()
    };
    let out = run("required");
    assert!(!out.status.success(), "{}", stdout(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("lies inside") && !text.contains("│ ran"), "{text}");
    let out = run("best-effort");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("lies inside"), "{}", stderr(&out));
}

/// The JS worker, which runs the workflow's own code, is held to the same rule.
#[test]
fn a_ts_workflow_is_not_loaded_when_required_confinement_would_let_it_read_the_data_directory() {
    let sb = Sandbox::new();
    let inside = sb.project().join(".data");
    let file = sb.write(
        "w.ts",
        "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({ name: \"W\", phases: [\"p\"], async execute() { console.log(\"ran\"); } });\n",
    );
    let mut cmd = sb.cmd(&["--confinement", "required", "run", file.to_str().unwrap()]);
    cmd.env("WORKFLOW_ENGINE_DATA_DIR", &inside);
    let out = cmd.output().unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("lies inside") && !text.contains("ran"), "{text}");
}

/// git refuses to work when a config file exists that it may not read; the home folder is
/// out of reach, its git configuration is not.
#[test]
fn git_works_in_a_confined_step_with_the_user_s_git_configuration() {
    let sb = Sandbox::new();
    let home = sb.data.path().join("home");
    std::fs::create_dir_all(home.join(".config/git")).unwrap();
    std::fs::write(
        home.join(".gitconfig"),
        "[user]\n\tname = Confined Author\n\temail = a@example.com\n",
    )
    .unwrap();
    std::fs::write(home.join(".config/git/ignore"), "").unwrap();
    let file = script_yaml(
        &sb,
        "git init -q . && git commit -q --allow-empty -m x && git log --format=%an",
    );
    let mut cmd = sb.cmd(&["run", &file, "-v"]);
    cmd.env("HOME", &home);
    let out = cmd.output().unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Confined Author"), "{text}");
}

#[tokio::test]
async fn a_confined_agent_on_a_fresh_home_can_make_its_own_folder() {
    let abox = AgentBox::new();
    // A home outside the project, where the CLI has never run: no ~/.claude yet.
    let home = tempfile::tempdir().unwrap();
    let mut cmd = claude_run(&abox);
    cmd.env("HOME", home.path());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(home.path().join(".claude").is_dir());
    assert!(
        !home.path().join(".codex").exists(),
        "only the CLI's own folder is made"
    );
}

/// `run` of a one-step claude workflow; the stand-in CLI lives outside the project, readable
/// through `--confine-read`.
fn claude_run(abox: &AgentBox) -> std::process::Command {
    let file = abox.one_step("Agent", "claude", "hello", "");
    let fixtures = fake("claude").parent().unwrap().to_path_buf();
    abox.cmd(&[
        "--confine-read",
        fixtures.to_str().unwrap(),
        "run",
        file.to_str().unwrap(),
    ])
}

/// The system's rules are found at a run's first spawn and its directories kept open
/// (`confine::system`); a file among them replaced whole afterwards (as `git config`
/// rewrites `~/.gitconfig`) and a folder of `PATH` made afterwards are still reached by the
/// steps that follow.
#[test]
fn a_later_step_reaches_a_replaced_gitconfig_and_a_path_folder_made_after_the_first_step() {
    let sb = Sandbox::new();
    let home = sb.data.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".gitconfig"), "[user]\n\tname = First Author\n").unwrap();
    let bin = home.join("bin");
    let file = sb.write(
        "later.yaml",
        "name: Later\nphases: [p]\nsteps:\n\
         \x20 - { id: before, phase: p, type: script, command: 'cat \"$HOME/.gitconfig\"; hello || echo no-hello; touch before-done' }\n\
         \x20 - { id: hold, phase: p, type: script, timeout: 30s, command: 'while [ ! -f go ]; do sleep 0.02; done' }\n\
         \x20 - { id: after, phase: p, type: script, command: 'cat \"$HOME/.gitconfig\" && hello' }\n",
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut cmd = sb.cmd(&["run", file.to_str().unwrap(), "-v"]);
    cmd.env("HOME", &home).env("PATH", path);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_until(30, "the first step", || sb.project().join("before-done").exists());
    std::fs::write(home.join(".gitconfig.new"), "[user]\n\tname = Second Author\n").unwrap();
    std::fs::rename(home.join(".gitconfig.new"), home.join(".gitconfig")).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    let hello = bin.join("hello");
    std::fs::write(&hello, "#!/bin/sh\necho hello-from-a-new-folder\n").unwrap();
    std::fs::set_permissions(&hello, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(sb.project().join("go"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("First Author") && text.contains("no-hello"), "{text}");
    assert!(text.contains("Second Author"), "the replaced ~/.gitconfig: {text}");
    assert!(text.contains("hello-from-a-new-folder"), "the new PATH folder: {text}");
}
