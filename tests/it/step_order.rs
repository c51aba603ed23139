//! Steps of one run that begin at once (`Promise.all`) each take their own index, on both
//! backends: on PostgreSQL two begins run side by side, and counting a run's steps without
//! its lock gave two steps one index.

use crate::util::*;
use workflow_engine::store::steps::StepRow;

#[tokio::test]
async fn parallel_steps_of_a_run_take_distinct_indexes() {
    let sb = Sandbox::new();
    let steps: Vec<String> = (0..12)
        .map(|i| format!(r#"ctx.step("s{i}", {{ type: "script", command: "echo {i}" }})"#))
        .collect();
    let file = sb.write(
        "parallel.ts",
        &format!(
            r#"
import {{ defineWorkflow }} from "@repo/workflow-engine";
export default defineWorkflow({{
  name: "Wide", phases: ["build"],
  async execute(ctx) {{
    await Promise.all([{}]);
  }},
}});
"#,
            steps.join(",\n")
        ),
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let run = run_id(&out);
    let store = sb.store().await;
    let rows = StepRow::list_for_run(&store, &run).await.unwrap();
    let mut indexes: Vec<i64> = rows.iter().map(|s| s.step_index).collect();
    indexes.sort();
    let seen: Vec<(&str, i64)> = rows.iter().map(|s| (s.step_id.as_str(), s.step_index)).collect();
    assert_eq!(indexes, (0..12).collect::<Vec<i64>>(), "{seen:?}");
}
