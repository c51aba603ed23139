//! TypeScript definitions: what loads, and the located errors of what does not.

use crate::util::*;

#[test]
fn a_syntax_error_points_at_the_ts_line_and_column() {
    let sb = Sandbox::new();
    let file = sb.write("syntax.ts", "import { defineWorkflow } from \"@repo/workflow-engine\";\n\nconst n: number = ;\nexport default defineWorkflow({ name: \"S\", phases: [\"p\"], async execute() {} });\n");
    let out = sb.run(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{}:3:19: Expression expected", file.display())),
        "{text}"
    );
}

#[test]
fn a_module_that_is_not_a_workflow_is_reported() {
    let sb = Sandbox::new();
    let file = sb.write("plain.ts", "export default { hello: 1 };\n");
    let out = sb.run(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("plain.ts:1:1"), "{}", stdout(&out));
}

#[test]
fn an_unknown_import_names_the_specifier_and_the_file() {
    let sb = Sandbox::new();
    let file = sb.write("imp.ts", "import { x } from \"left-pad-nowhere\";\nexport default x;\n");
    let out = sb.run(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("left-pad-nowhere") && text.contains("imp.ts"), "{text}");
}

#[test]
fn relative_imports_and_node_modules_packages_load() {
    let sb = Sandbox::new();
    sb.write("helpers.ts", "export const phases: string[] = [\"a\", \"b\"];\n");
    std::fs::create_dir_all(sb.project().join("node_modules/greeter")).unwrap();
    sb.write(
        "node_modules/greeter/package.json",
        r#"{ "name": "greeter", "type": "module", "exports": { ".": { "import": "./esm.js" } } }"#,
    );
    sb.write(
        "node_modules/greeter/esm.js",
        "export const greet = (n) => `hi ${n}`;\n",
    );
    let file = sb.write(
        "wf.ts",
        r#"import { defineWorkflow } from "workflow-engine";
import { phases } from "./helpers.ts";
import { greet } from "greeter";
export default defineWorkflow({ name: greet("imports"), phases, async execute() {} });"#,
    );
    let text = validated(&sb, &file);
    assert!(text.contains("\"hi imports\" (phases: a, b)"), "{text}");
}

/// What `validate` prints for a file it accepts.
fn validated(sb: &Sandbox, file: &std::path::Path) -> String {
    let out = sb.run(&["validate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

#[test]
fn a_bad_step_config_makes_ctx_step_throw() {
    let sb = Sandbox::new();
    let file = sb.write(
        "badstep.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "B", phases: ["p"], async execute(ctx) {
  try {
    await ctx.step("x", { type: "script", command: "true", phase: "nowhere" });
  } catch (e) {
    console.log("caught: " + e.message);
  }
} });"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("caught: ") && stdout(&out).contains("\"nowhere\""),
        "{}",
        stdout(&out)
    );
}

#[test]
fn relative_imports_resolve_as_typescript_does() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.project().join("lib/names")).unwrap();
    sb.write("lib/phases.ts", "export const phases: string[] = [\"a\", \"b\"];\n");
    sb.write("lib/names/index.ts", "export const name = \"resolved\";\n");
    sb.write("lib/greet.mts", "export const greet = (n: string) => `hi ${n}`;\n");
    let file = sb.write(
        "wf.ts",
        r#"import { defineWorkflow } from "workflow-engine";
import { phases } from "./lib/phases.js";
import { name } from "./lib/names";
import { greet } from "./lib/greet.mjs";
import { phases as again } from "./lib/phases";
export default defineWorkflow({ name: greet(name), phases: phases.concat(again.map((p) => p + "2")), async execute() {} });"#,
    );
    let text = validated(&sb, &file);
    assert!(text.contains("\"hi resolved\" (phases: a, b, a2, b2)"), "{text}");
}

#[test]
fn an_unresolvable_import_points_at_its_line_and_says_what_was_tried() {
    let sb = Sandbox::new();
    let file = sb.write(
        "imp.ts",
        "import { defineWorkflow } from \"workflow-engine\";\n// helpers come next\nimport { x } from \"./helpers.js\";\nexport default defineWorkflow({ name: x, phases: [\"p\"], async execute() {} });\n",
    );
    let out = sb.run(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains(&format!("{}:3:19: ", file.display())), "{text}");
    assert!(text.contains("helpers.js, helpers.ts, helpers.tsx"), "{text}");
    let bare = sb.write(
        "bare.ts",
        "\n\nimport { y } from 'left-pad-nowhere';\nexport default y;\n",
    );
    let out = sb.run(&["validate", bare.to_str().unwrap()]);
    assert!(
        stdout(&out).contains(&format!("{}:3:19: ", bare.display())),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_invalid_run_timeout_points_at_its_key() {
    let sb = Sandbox::new();
    for (name, timeout) in [("js", "\"soon\""), ("engine", "\"0s\"")] {
        let file = sb.write(
            &format!("{name}.ts"),
            &format!(
                "import {{ defineWorkflow }} from \"workflow-engine\";\n\nexport default defineWorkflow({{\n  name: \"T\",\n  phases: [\"p\"],\n  async execute(ctx) {{\n    await ctx.step(\"s\", {{ type: \"script\", command: \"true\", timeout: \"1s\" }});\n  }},\n    timeout: {timeout},\n}});\n"
            ),
        );
        let out = sb.run(&["validate", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
        let text = stdout(&out);
        assert!(text.contains(&format!("{}:9:5: ", file.display())), "{name}: {text}");
        assert!(text.contains("timeout"), "{text}");
    }
}

/// The binary carries what its JS workers load: with the source tree's `src/js` hidden (a
/// tmpfs over it, in a mount namespace of the run's own), a TypeScript workflow still runs.
#[tokio::test]
async fn a_typescript_run_needs_nothing_from_the_source_tree() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: mounting over the source tree needs root");
        return;
    }
    let sb = Sandbox::new();
    let file = sb.write(
        "alone.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Alone", phases: ["p"], async execute(ctx) {
  await ctx.step("s", { type: "function", fn: async () => ({ ok: true }) });
} });
"#,
    );
    let js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/js");
    let script = format!(
        "mount -t tmpfs tmpfs '{}' && exec \"$0\" run '{}'",
        js.display(),
        file.display()
    );
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script, BIN])
        .current_dir(sb.project())
        .env("WORKFLOW_ENGINE_DATA_DIR", sb.data_dir())
        .env("DATABASE_URL", sb.database_url.as_deref().unwrap_or(""))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}
