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
    let out = sb.run(&["validate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("\"hi imports\" (phases: a, b)"),
        "{}",
        stdout(&out)
    );
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
