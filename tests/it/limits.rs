//! Limits a workflow meets through the CLI: a command line too long for the kernel, a JS
//! worker's memory, names with invisible control characters, and thrown values that are
//! not `Error`s.

use crate::util::*;

#[test]
fn a_command_grown_too_long_by_an_earlier_result_fails_its_step_before_it_starts() {
    // A step's `stdout` keeps its last 64 KiB; three of them make a command over 128 KiB.
    let sb = Sandbox::new();
    let file = sb.write(
        "grow.yaml",
        "name: Grow\nphases: [p]\nsteps:\n  - id: make\n    phase: p\n    type: script\n    command: head -c 70000 /dev/zero | tr '\\0' x\n  - id: use\n    phase: p\n    type: script\n    command: echo {{ steps.make.data.stdout }}{{ steps.make.data.stdout }}{{ steps.make.data.stdout }} > used.txt\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        err.contains("step \"use\" failed: the command is 193 KiB once its placeholders are filled in")
            && err.contains("MAX_ARG_STRLEN"),
        "{err}"
    );
    assert!(
        !sb.project().join("used.txt").exists(),
        "the step's shell never started"
    );
}

const GREEDY_TS: &str = "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({\n  name: \"Greedy\", phases: [\"p\"],\n  async execute(ctx) {\n    await ctx.step(\"small\", { type: \"function\", fn: async () => 1 });\n    const kept: number[][] = [];\n    await ctx.step(\"grow\", { type: \"function\", fn: async () => {\n      try { for (;;) kept.push(new Array(100000).fill(kept.length)); }\n      catch (e) { return \"caught: \" + e; }\n    } });\n  },\n});\n";

#[test]
fn a_workflow_past_its_memory_limit_fails_with_a_clear_message_however_it_catches() {
    let sb = Sandbox::new();
    let file = sb.write("greedy.ts", GREEDY_TS);
    let mut cmd = sb.cmd(&["run", file.to_str().unwrap()]);
    let started = std::time::Instant::now();
    let out = cmd.env("WORKFLOW_ENGINE_WORKER_MEMORY_MB", "64").output().unwrap();
    // Stopped near the limit: a worker let past it would take many seconds to fill gigabytes.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        all.contains("the workflow's JS worker ran out of memory (limit 64 MB"),
        "{all}"
    );
    assert!(
        !all.contains("caught:"),
        "the workflow cannot catch it and go on: {all}"
    );
}

#[test]
fn one_huge_allocation_fails_at_once_and_the_limit_is_a_flag_too() {
    let sb = Sandbox::new();
    let file = sb.write(
        "huge.ts",
        "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({\n  name: \"Huge\", phases: [\"p\"],\n  async execute(ctx) {\n    await ctx.step(\"gigabyte\", { type: \"function\", fn: async () => new Uint8Array(1 << 30).length });\n  },\n});\n",
    );
    let started = std::time::Instant::now();
    let out = sb.run(&["--worker-memory-mb", "100", "run", file.to_str().unwrap()]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("ran out of memory (limit 100 MB"), "{all}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_memory_limit_that_is_not_a_number_of_megabytes_is_refused() {
    let sb = Sandbox::new();
    for bad in ["lots", "0", "8"] {
        let out = sb.run(&["--worker-memory-mb", bad, "runs"]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("invalid value '{bad}' for '--worker-memory-mb")),
            "{err}"
        );
    }
    let out = sb.run(&["--worker-memory-mb", "64", "runs"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test]
async fn thrown_values_that_are_not_errors_are_reported_in_their_json_or_string_form() {
    let sb = Sandbox::new();
    let file = sb.write(
        "throws.ts",
        "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({\n  name: \"Throws\", phases: [\"p\"],\n  async execute(ctx) {\n    await ctx.step(\"object\", { type: \"function\", continueOnError: true, fn: async () => { throw { code: 1, why: \"no\" }; } });\n    await ctx.step(\"text\", { type: \"function\", continueOnError: true, fn: async () => { throw \"plain text\"; } });\n    await ctx.step(\"nothing\", { type: \"function\", continueOnError: true, fn: async () => { throw undefined; } });\n    throw 42;\n  },\n});\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let run = sb.run_dir(&run_id(&out));
    for (step, error) in [
        ("object", r#"{"code":1,"why":"no"}"#),
        ("text", "plain text"),
        ("nothing", "undefined"),
    ] {
        let output = sb.read_json(&run.join(format!("logs/{step}/output.json")));
        assert_eq!(output["error"], error, "{step}: {output}");
    }
    let store = sb.store().await;
    let row = run_row(&store, &run_id(&out)).await;
    assert_eq!(row.error_message.as_deref(), Some("Uncaught 42"));
}

#[test]
fn names_with_bidirectional_overrides_or_invisible_characters_are_refused_where_written() {
    let sb = Sandbox::new();
    let yaml = |name: &str, phase: &str, step: &str| {
        format!("name: \"{name}\"\nphases: [\"{phase}\"]\nsteps:\n  - id: s\n    name: \"{step}\"\n    phase: \"{phase}\"\n    type: script\n    command: \"true\"\n")
    };
    let cases = [
        (
            yaml("invoice\u{202E}fdp.exe", "p", "s"),
            "1:",
            "'name': contains U+202E",
        ),
        (yaml("w", "p\u{200B}", "s"), "2:", "'phases[]': contains U+200B"),
        (yaml("w", "p", "s\u{2067}"), "5:", "'name': contains U+2067"),
    ];
    for (i, (text, line, says)) in cases.iter().enumerate() {
        let file = sb.write(&format!("w{i}.yaml"), text);
        let out = sb.run(&["validate", file.to_str().unwrap()]);
        let err = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("w{i}.yaml:{line}")) && err.contains(says),
            "{err}"
        );
    }
    let ts = sb.write(
        "named.ts",
        "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({\n  name: \"Named\", phases: [\"p\"],\n  async execute(ctx) {\n    await ctx.step(\"s\", { type: \"function\", name: \"ok\\u202e\", fn: async () => 1 });\n  },\n});\n",
    );
    let out = sb.run(&["run", ts.to_str().unwrap()]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("ctx.step(\"s\"): \"name\": contains U+202E"), "{all}");
    let ts_name = sb.write(
        "bad-name.ts",
        "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({\n  name: \"Bad\\u2066Name\", phases: [\"p\"],\n  async execute(ctx) {},\n});\n",
    );
    let out = sb.run(&["validate", ts_name.to_str().unwrap()]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("bad-name.ts:3:") && all.contains("name: contains U+2066"),
        "{all}"
    );
}

#[tokio::test]
async fn a_run_name_with_an_override_is_refused_before_the_run_exists() {
    let sb = Sandbox::new();
    let file = sb.write(
        "ok.yaml",
        "name: Ok\nphases: [p]\nsteps:\n  - id: s\n    phase: p\n    type: script\n    command: \"true\"\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap(), "--name", "release\u{202E}v1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("name: contains U+202E"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "no run id is printed: {}", stdout(&out));
    let out = sb.run(&["runs"]);
    assert!(!stdout(&out).contains("release"), "{}", stdout(&out));
}

#[test]
fn a_module_that_fills_the_memory_while_loading_fails_to_load_saying_so() {
    let sb = Sandbox::new();
    let file = sb.write(
        "top.ts",
        "import { defineWorkflow } from \"@repo/workflow-engine\";\nconst kept: number[][] = [];\nfor (;;) kept.push(new Array(100000).fill(1));\nexport default defineWorkflow({ name: \"Top\", phases: [\"p\"], async execute(ctx) {} });\n",
    );
    let out = sb.run(&["--worker-memory-mb", "64", "validate", file.to_str().unwrap()]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("top.ts:1:1: the workflow's JS worker ran out of memory (limit 64 MB"),
        "{all}"
    );
}

#[test]
fn the_cli_refuses_an_argument_too_long_for_a_command_line_before_printing_a_run_id() {
    let sb = Sandbox::new();
    // A default is the one way to hand `run` such an argument: on its own command line the
    // kernel would refuse it before the engine saw it.
    let big = "x".repeat(200 * 1024);
    let file = sb.write(
        "echo.yaml",
        &format!("name: Echo\nphases: [p]\nargsSchema:\n  type: object\n  properties:\n    who: {{ type: string, default: {big} }}\nsteps:\n  - id: hello\n    phase: p\n    type: script\n    command: echo {{{{ args.who }}}}\n"),
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(stdout(&out).is_empty(), "no run id: {}", stdout(&out));
    assert!(
        err.contains("the arguments make a command line too long to start")
            && err.contains("step \"hello\": the command is 201 KiB")
            && err.contains("MAX_ARG_STRLEN"),
        "{err}"
    );
}

#[test]
fn a_ctx_exec_command_too_long_for_linux_fails_the_run_saying_so() {
    let sb = Sandbox::new();
    let file = sb.write(
        "exec.ts",
        "import { defineWorkflow } from \"@repo/workflow-engine\";\nexport default defineWorkflow({\n  name: \"Exec\", phases: [\"p\"],\n  async execute(ctx) {\n    await ctx.exec(\"echo \" + \"x\".repeat(200 * 1024));\n  },\n});\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("ctx.exec: the command is 201 KiB") && all.contains("MAX_ARG_STRLEN"),
        "{all}"
    );
}
