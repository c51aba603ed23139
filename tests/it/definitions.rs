//! What a project's templates are, and how YAML authors are told what they got wrong.

use serde_json::json;

use crate::server_util::*;
use crate::util::*;

#[tokio::test]
async fn a_file_run_from_outside_the_definitions_folder_is_no_template() {
    let sb = Sandbox::new();
    let defs = sb.project().join(".agent/workflows/definitions");
    std::fs::create_dir_all(&defs).unwrap();
    std::fs::write(defs.join("quick.yaml"), QUICK_YAML).unwrap();
    let scratch = sb.write(
        "scratch.yaml",
        "name: Scratch\nphases: [a]\nsteps:\n  - {id: s, phase: a, type: script, command: 'true'}\n",
    );
    let outside = sb.run(&["run", scratch.to_str().unwrap()]);
    assert!(outside.status.success(), "{}", stderr(&outside));
    let template = defs.join("quick.yaml");
    let inside = sb.run(&["run", template.to_str().unwrap(), "--arg", "who=x"]);
    assert!(inside.status.success(), "{}", stderr(&inside));

    let s = Server::start_in(sb).await;
    let ann = s.user("ann@example.com", false);
    let body = json!({ "name": "alpha", "path": s.sb.project() });
    let (status, project) = s.post(&ann, "/projects", body).await;
    assert_eq!(status, 201, "{project}");
    let project = project["data"]["id"].as_str().unwrap();
    let (_, list) = s
        .get(&ann, &format!("/workflow-definitions?project_id={project}"))
        .await;
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Quick"], "{list}");
    assert_eq!(list["data"][0]["is_template"], true);
    // The outside file is still its run's definition.
    let (_, run) = s.get(&ann, &format!("/workflow-executions/{}", run_id(&outside))).await;
    let definition = run["data"]["workflow_definition_id"].as_str().unwrap();
    let (status, def) = s.get(&ann, &format!("/workflow-definitions/{definition}")).await;
    assert_eq!(status, 200, "{def}");
    assert_eq!(
        (&def["data"]["name"], &def["data"]["is_template"]),
        (&json!("Scratch"), &json!(false))
    );
    assert_eq!(def["data"]["steps"][0]["id"], "s");
}

#[test]
fn a_github_actions_key_is_named_with_the_key_meant() {
    let sb = Sandbox::new();
    let file = sb.write(
        "ci.yaml",
        "name: CI\nphases: [build]\nsteps:\n  - id: make\n    phase: build\n    type: script\n    run: make\n    needs: setup\n",
    );
    let text = sb.refused_by_validate(&file);
    let at = file.display();
    assert!(
        text.contains(&format!(
            "{at}:7:5: unknown key 'run' in step 'make': did you mean 'command'?"
        )),
        "{text}"
    );
    assert!(
        text.contains("missing required key 'command' ('run' is written instead)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{at}:8:5: unknown key 'needs' in step 'make': there is no 'needs'"
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_yaml_step_without_phase_runs_in_the_phase_before() {
    let sb = Sandbox::new();
    let file = sb.write(
        "phases.yaml",
        "name: P\nphases: [build, test]\nsteps:\n  - {id: a, type: script, command: 'true'}\n  \
         - {id: b, phase: test, type: script, command: 'true'}\n  - {id: c, type: script, command: 'true'}\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let store = sb.store().await;
    let phases: Vec<(String, String)> = crate::util::db(&store)
        .await
        .all(
            "SELECT step_id, phase FROM workflow_run_steps WHERE workflow_run_id = ? ORDER BY step_id",
            &[run_id(&out).into()],
        )
        .await;
    let phases: Vec<(&str, &str)> = phases.iter().map(|(s, p)| (s.as_str(), p.as_str())).collect();
    assert_eq!(phases, [("a", "build"), ("b", "test"), ("c", "test")]);
}
